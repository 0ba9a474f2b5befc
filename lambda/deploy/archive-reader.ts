import { Transform, type Readable, type TransformCallback } from "node:stream";
import { createGunzip } from "node:zlib";
import { Parser, type ReadEntry } from "tar";
import { HoistError } from "../../core/errors.ts";
import type { DeployLimits } from "../../core/config.ts";

/**
 * Streams a staged archive as a sequence of tar entries: body → byte meter → gunzip → size
 * meter → tar Parser. Nothing touches disk and nothing is held whole: the parser waits while
 * the caller consumes the current entry, so backpressure reaches all the way to S3.
 *
 * Budgets are counted in the stream (zlib's own output cap does not apply to streams): the
 * compressed bytes read and the uncompressed bytes produced, so a gzip bomb stops at the
 * limit rather than at memory exhaustion.
 */

export type ArchiveMeter = { compressedBytes: number; uncompressedBytes: number };

const GZIP_MAGIC = [0x1f, 0x8b];

class ByteMeter extends Transform {
  bytes = 0;
  constructor(
    private readonly limit: number,
    private readonly overLimit: () => HoistError,
    private readonly firstChunk?: (chunk: Buffer) => HoistError | undefined,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.bytes === 0 && this.firstChunk) {
      const err = this.firstChunk(chunk);
      if (err) {
        done(err);
        return;
      }
    }
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      done(this.overLimit());
      return;
    }
    done(null, chunk);
  }
}

function gunzipError(err: NodeJS.ErrnoException): HoistError {
  if (err instanceof HoistError) return err;
  if (err.code === "Z_BUF_ERROR" || /unexpected end/i.test(err.message)) {
    return new HoistError("archive.truncated", "The archive ends early: its gzip stream is cut off. Push again; if it repeats, the download from Bitbucket was interrupted.");
  }
  return new HoistError("archive.corrupt_gzip", `The archive's gzip data is corrupt (${err.message}). Rebuild the archive and deploy again.`);
}

function tarError(err: Error & { code?: string; tarCode?: string }): HoistError {
  if (err instanceof HoistError) return err;
  const code = err.tarCode ?? err.code;
  if (/Truncated input/.test(err.message)) {
    return new HoistError("archive.truncated", "The archive ends in the middle of a file. Push again; if it repeats, rebuild the archive.");
  }
  if (code === "TAR_ENTRY_INVALID" && /checksum/.test(err.message)) {
    return new HoistError("archive.bad_tar", "A tar header in the archive fails its checksum, so the archive is damaged. Rebuild it and deploy again.");
  }
  return new HoistError("archive.bad_tar", `The archive is not a valid tar file (${err.message}). Deploy a .tar.gz made by git archive or tar.`);
}

/**
 * Yields each entry in archive order. The caller must consume (or `resume()`) an entry before
 * asking for the next one. Throws HoistErrors for every malformed-input case.
 */
export async function* readArchive(body: Readable, limits: DeployLimits, meter: ArchiveMeter, signal?: AbortSignal): AsyncGenerator<ReadEntry> {
  const compressed = new ByteMeter(
    limits.maxArchiveBytes,
    () => new HoistError("limits.archive_too_large", `The archive is larger than ${limits.maxArchiveBytes} bytes compressed. Make the site smaller or raise HOIST_MAX_ARCHIVE_BYTES.`, { limit: limits.maxArchiveBytes }),
    (chunk) =>
      chunk[0] === GZIP_MAGIC[0] && (chunk.length < 2 || chunk[1] === GZIP_MAGIC[1])
        ? undefined
        : new HoistError("archive.not_gzip", "The staged file is not a gzip archive. Deploy a .tar.gz (git archive --format=tar.gz)."),
  );
  // Larger pieces than zlib's 16 KB default: a continuation re-inflates the archive up to where it stopped (measured in BENCHMARKS.md).
  const gunzip = createGunzip({ chunkSize: 128 * 1024 });
  const uncompressed = new ByteMeter(
    limits.maxTotalBytes,
    () => new HoistError("limits.site_too_large", `The site is larger than ${limits.maxTotalBytes} bytes uncompressed. Remove large files or raise HOIST_MAX_TOTAL_BYTES.`, { limit: limits.maxTotalBytes }),
  );
  const parser = new Parser({ strict: true });

  const queue: ReadEntry[] = [];
  let failure: HoistError | undefined;
  let finished = false;
  let sawEndBlocks = false;
  let entries = 0;
  let current: ReadEntry | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const fail = (err: HoistError) => {
    failure ??= err;
    // The caller may be reading the current entry's body, which will never get more bytes from
    // a failed stream: end that read with the same failure instead of leaving it waiting forever.
    current?.emit("error", failure);
    notify();
  };

  parser.on("entry", (entry: ReadEntry) => {
    entries += 1;
    // So a failure can always be handed to the entry; Minipass replays it to the reader's own listener.
    entry.on("error", () => undefined);
    queue.push(entry);
    notify();
  });
  // node-tar cuts a pax path at its first NUL byte; a name that carries one is refused, not shortened.
  parser.on("meta", (meta: string) => {
    if (/(^|\n)\d+ (path|linkpath)=[^\n]*\0/.test(meta)) {
      fail(new HoistError("archive.nul_in_path", "The archive has a file name containing a NUL byte (in a pax header). Rename the file and push again."));
    }
  });
  parser.on("eof", () => {
    sawEndBlocks = true;
  });
  parser.on("error", (err: Error) => {
    // An archive of nothing but end-of-archive blocks is a valid, empty tar (tar cf x.tar -T /dev/null).
    if (entries === 0 && sawEndBlocks && /Unrecognized archive format/.test(err.message)) {
      fail(new HoistError("archive.empty", "The archive contains no files. Push a commit with the site's files in it."));
      return;
    }
    fail(tarError(err));
  });
  parser.on("end", () => {
    finished = true;
    notify();
  });
  body.on("error", (err) => fail(err instanceof HoistError ? err : new HoistError("archive.truncated", `Reading the staged archive failed (${err.message}). Deploy again.`)));
  compressed.on("error", (err) => fail(err as HoistError));
  gunzip.on("error", (err) => fail(gunzipError(err)));
  uncompressed.on("error", (err) => fail(err as HoistError));
  const onAbort = () => fail(new HoistError("deploy.timed_out", "The deploy was stopped."));
  signal?.addEventListener("abort", onAbort, { once: true });

  body.pipe(compressed).pipe(gunzip).pipe(uncompressed);
  // node-tar's Parser is an EventEmitter with write/end; pipe it by hand to honour its backpressure.
  uncompressed.on("data", (chunk: Buffer) => {
    meter.compressedBytes = compressed.bytes;
    meter.uncompressedBytes = uncompressed.bytes;
    if (parser.write(chunk) === false) {
      uncompressed.pause();
      parser.once("drain", () => uncompressed.resume());
    }
  });
  uncompressed.on("end", () => {
    meter.compressedBytes = compressed.bytes;
    meter.uncompressedBytes = uncompressed.bytes;
    parser.end();
  });

  try {
    for (;;) {
      if (failure) throw failure;
      const next = queue.shift();
      if (next) {
        current = next;
        yield next;
        continue;
      }
      if (finished) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    if (failure) throw failure;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    body.destroy();
    compressed.destroy();
    gunzip.destroy();
    uncompressed.destroy();
  }
}
