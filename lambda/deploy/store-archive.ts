import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { brotliCompress as brotliCallback, brotliCompressSync, constants as zlibConstants, createGzip, gzip as gzipCallback, gzipSync, type BrotliOptions } from "node:zlib";
import type { ReadEntry } from "tar";
import type { DeployLimits } from "../../core/config.ts";
import { HoistError, quotePath } from "../../core/errors.ts";
import type { ManifestFile } from "../../core/manifest.ts";
import { MAX_SETTINGS_BYTES, SETTINGS_FILES } from "../../core/site-settings.ts";
import { readArchive, type ArchiveMeter } from "./archive-reader.ts";
import type { BlobStore } from "./blob-store.ts";
import { Budget, TaskGroup } from "./budget.ts";
import { CHUNK_BYTES, ChunkHasher } from "./chunk-hasher.ts";
import { cacheControlFor } from "./cache-control.ts";
import { contentTypeFor, shouldCompress } from "./content-type.ts";
import type { CheckpointEntry, EntryMark } from "./checkpoint.ts";
import { checkEntryPath, checkPathSafety, NameRegistry, splitTopFolder } from "./entry-path.ts";

const gzip = promisify(gzipCallback);
const brotliCompress = promisify(brotliCallback);

/** Files up to this size are read into memory, hashed, then uploaded in the background; larger ones stream. */
export const SMALL_FILE_BYTES = 16 * 1024 * 1024;
/** Memory that buffered file bodies may hold at once, across all uploads in flight. */
export const IN_FLIGHT_BYTES = 64 * 1024 * 1024;
/**
 * Bodies up to this size are compressed on the main thread: zlib's async calls cost about four
 * times the CPU of the sync ones on a few-KB file (stream set-up and the thread hop), and a
 * 1 MB body blocks for ~30 ms at most. Larger ones go to the thread pool.
 */
const SYNC_COMPRESS_BYTES = 1024 * 1024;
/**
 * A brotli copy is kept only when it is at least this much smaller than the gzip: each copy costs
 * the deploy one more upload (on the 20k-small-files corpus, copies of every page doubled the
 * deploy's time for 2% fewer bytes), and a visitor does not notice less than a packet's worth.
 */
export const MIN_BROTLI_SAVING_BYTES = 1024;
/** S3 allows 1024-byte keys; blobs are keyed by hash, but paths must stay usable as keys elsewhere (CDN, exports). */
const MAX_KEY_BYTES = 1024 - 200;

export type StoreCounters = {
  filesSeen: number;
  bytesSeen: number;
  filesDone: number;
  bytesDone: number;
  originalBytes: number;
  storedBytes: number;
  uploadedBytes: number;
  compressedFiles: number;
  reusedBlobs: number;
  uploadedBlobs: number;
  /** Of filesDone/bytesDone: files an earlier run of this deploy had stored (taken from its checkpoint). */
  filesResumed: number;
  bytesResumed: number;
};

export function newCounters(): StoreCounters {
  return { filesSeen: 0, bytesSeen: 0, filesDone: 0, bytesDone: 0, originalBytes: 0, storedBytes: 0, uploadedBytes: 0, compressedFiles: 0, reusedBlobs: 0, uploadedBlobs: 0, filesResumed: 0, bytesResumed: 0 };
}

export type StoreInput = {
  body: Readable;
  blobs: BlobStore;
  limits: DeployLimits;
  concurrency: number;
  /**
   * Quality (1–11) of the brotli copy made for compressible files that fit in memory, served to
   * clients that accept `br`; 0 = none. Large files (streamed) get gzip only.
   */
  brotliQuality?: number;
  /** Only entries under this folder (relative to the archive's top folder) are deployed. */
  directory?: string;
  signal: AbortSignal;
  /** When it fires, no further entry is taken: the uploads in flight finish, then its reason is thrown. */
  stopReading?: AbortSignal;
  counters: StoreCounters;
  meter: ArchiveMeter;
  /** Names this run's temporary uploads of large files (unique per run, so a killed run's leftovers never collide). */
  tempPrefix: string;
  /** The stage's live deploy's files by path: large files are compared against them piece by piece. */
  previousFiles?: ReadonlyMap<string, ManifestFile>;
  /**
   * Entries earlier runs of this deploy already stored, by their index in the archive
   * (checkpoint.ts): an entry whose tar header still matches is skipped, its manifest entry reused.
   */
  resume?: ReadonlyMap<number, CheckpointEntry>;
  /** Called for every file this run stores, so it can be checkpointed. */
  onStored?: (entry: CheckpointEntry) => void;
  /** Called once the archive has been read up to the last entry `resume` holds. */
  onCaughtUp?: () => void;
};

export type StoredArchive = {
  files: Record<string, ManifestFile>;
  /** The repository's settings file (hoist.json / hoist.yml), found at its root; not served. */
  settingsFile?: { name: string; text: string };
};

/** Reads the archive and stores every file as a blob; returns the manifest's file table. */
export async function storeArchive(input: StoreInput): Promise<StoredArchive> {
  const { limits, counters } = input;
  const files: Record<string, ManifestFile> = Object.create(null);
  const names = new NameRegistry();
  const budget = new Budget(input.concurrency, IN_FLIGHT_BYTES);
  const tasks = new TaskGroup();
  const prefix = input.directory ? `${input.directory.replace(/^\/+|\/+$/g, "")}/` : "";
  let topFolder: string | undefined;
  let settingsFile: StoredArchive["settingsFile"];
  let entries = 0;
  let largeCount = 0;
  // Where each entry sits in the archive: its index, and the data bytes of every entry before it.
  let offset = 0;
  let lastResumed = -1;
  for (const index of input.resume?.keys() ?? []) lastResumed = Math.max(lastResumed, index);
  let caughtUp = false;
  const catchUp = () => {
    if (caughtUp) return;
    caughtUp = true;
    input.onCaughtUp?.();
  };
  if (lastResumed < 0) catchUp();

  try {
    for await (const entry of readArchive(input.body, limits, input.meter, input.signal)) {
      tasks.check();
      input.stopReading?.throwIfAborted();
      const mark: EntryMark = { index: entries, path: entry.path, size: entry.size, offset, cksum: entry.header.cksum ?? -1 };
      if (entries > lastResumed) catchUp();
      offset += Number.isSafeInteger(entry.size) && entry.size > 0 ? entry.size : 0;
      entries += 1;
      if (entries > limits.maxFiles) {
        throw new HoistError("limits.too_many_files", `The archive has more than ${limits.maxFiles} entries. Deploy fewer files (for example only the build folder) or raise HOIST_MAX_FILES.`, { limit: limits.maxFiles });
      }
      checkPathSafety(entry.path);
      const { top, rest } = splitTopFolder(entry.path);
      if (topFolder === undefined) topFolder = top;
      if (top !== topFolder || (rest === "" && entry.type !== "Directory")) {
        throw new HoistError("archive.no_top_folder", `The archive's entries are not all inside one top folder (${quotePath(entry.path)} is outside ${quotePath(`${topFolder}/`)}). Deploy an archive made by git archive or Bitbucket's download, which wrap everything in one folder.`);
      }
      // Messages name the path as it is in the repository, without the archive's top folder.
      const kind = classify(entry, rest || entry.path);
      const path = checkEntryPath(rest, { maxPathDepth: limits.maxPathDepth, maxKeyBytes: MAX_KEY_BYTES });
      if (kind === "directory" || path === "") {
        entry.resume();
        continue;
      }
      checkSize(entry, path, limits);
      if ((SETTINGS_FILES as readonly string[]).includes(path)) {
        settingsFile ??= { name: path, text: await readSettings(entry, path) };
        continue;
      }
      if (prefix && !path.startsWith(prefix)) {
        entry.resume();
        continue;
      }
      const sitePath = path.slice(prefix.length);
      names.addFile(sitePath);
      counters.filesSeen += 1;
      counters.bytesSeen += entry.size;

      const done = input.resume?.get(mark.index);
      if (done && sameEntry(done, mark, sitePath)) {
        // An earlier run stored this very entry: skip its bytes, keep its manifest entry.
        entry.resume();
        files[sitePath] = done.file;
        tally(counters, done.file.size, done.file.storedSize, done.uploadedBytes, done.reused, done.file.contentEncoding);
        counters.filesResumed += 1;
        counters.bytesResumed += done.file.size;
        continue;
      }
      const stored = (out: Stored) => {
        files[sitePath] = out.file;
        tally(counters, out.file.size, out.file.storedSize, out.uploadedBytes, out.reused, out.file.contentEncoding);
        input.onStored?.({ ...mark, sitePath, file: out.file, uploadedBytes: out.uploadedBytes, reused: out.reused });
      };

      const contentType = contentTypeFor(sitePath);
      const cacheControl = cacheControlFor(sitePath, contentType);
      const compress = shouldCompress(sitePath, contentType);

      if (entry.size <= SMALL_FILE_BYTES) {
        const release = await budget.acquire(entry.size);
        let body: { bytes: Buffer; hash: string };
        try {
          body = await readSmall(entry, limits, sitePath);
        } catch (err) {
          release();
          throw err;
        }
        tasks.spawn(async () => {
          try {
            stored(await storeSmall(input, body, { contentType, cacheControl, compress }));
          } finally {
            release();
          }
        });
      } else {
        // Large files stream while the parser waits; small uploads already in flight continue.
        const release = await budget.acquire(Math.min(entry.size, IN_FLIGHT_BYTES / 2));
        try {
          largeCount += 1;
          stored(await storeLarge(input, sitePath, entry, `${input.tempPrefix}-${largeCount}`, { contentType, cacheControl, compress }, input.previousFiles?.get(sitePath)));
        } finally {
          release();
        }
      }
    }
  } catch (err) {
    await tasks.settle().catch(() => undefined);
    throw err;
  }
  await tasks.settle();
  catchUp();
  if (names.size === 0 && !settingsFile) {
    throw new HoistError(
      "archive.empty",
      prefix ? `The archive has no files under ${quotePath(prefix)}. Check the deploy directory in hoist.json, or build the site before pushing.` : "The archive contains no files. Push a commit with the site's files in it.",
    );
  }
  return { files, settingsFile };
}

async function readSettings(entry: ReadEntry, path: string): Promise<string> {
  if (entry.size > MAX_SETTINGS_BYTES) {
    throw new HoistError("config.invalid", `${path} is ${entry.size} bytes; settings files are limited to ${MAX_SETTINGS_BYTES / 1024} KB. Shorten it and push again.`);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of entry as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

type EntryKind = "file" | "directory";

function classify(entry: ReadEntry, displayPath: string): EntryKind {
  const shown = quotePath(displayPath);
  switch (entry.type) {
    case "File":
    case "OldFile":
    case "ContiguousFile":
      return "file";
    case "Directory":
      return "directory";
    case "SymbolicLink":
      throw new HoistError("archive.symlink", `${shown} is a symbolic link. Hoist serves files only: replace the link with the file it points to.`);
    case "Link":
      throw new HoistError("archive.hard_link", `${shown} is a hard link. Replace it with a regular copy of the file.`);
    default:
      throw new HoistError("archive.special_file", `${shown} is not a regular file (tar type ${entry.type}: a device, FIFO or other special file). Remove it from the repository.`);
  }
}

function checkSize(entry: ReadEntry, path: string, limits: DeployLimits): void {
  if (!Number.isSafeInteger(entry.size) || entry.size < 0) {
    throw new HoistError("archive.bad_header", `The tar header of ${quotePath(path)} gives an impossible size (${String(entry.size)}). The archive is damaged or hostile; rebuild it.`);
  }
  if (entry.size > limits.maxFileBytes) {
    throw new HoistError("limits.file_too_large", `${quotePath(path)} is ${entry.size} bytes; the limit per file is ${limits.maxFileBytes}. Host large media elsewhere or raise HOIST_MAX_FILE_BYTES.`, { limit: limits.maxFileBytes, path });
  }
}

async function readSmall(entry: ReadEntry, limits: DeployLimits, path: string): Promise<{ bytes: Buffer; hash: string }> {
  const hash = createHash("sha256");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of entry as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limits.maxFileBytes || size > SMALL_FILE_BYTES) {
      throw new HoistError("archive.bad_header", `${quotePath(path)} holds more bytes than its tar header declares. The archive is damaged or hostile; rebuild it.`);
    }
    hash.update(chunk);
    chunks.push(chunk);
  }
  if (size !== entry.size) {
    throw new HoistError("archive.truncated", `${quotePath(path)} is shorter than its tar header declares: the archive is cut off. Push again.`);
  }
  return { bytes: Buffer.concat(chunks, size), hash: hash.digest("hex") };
}

/** The same entry as the checkpoint's: index, path, size, position and header checksum all agree. */
function sameEntry(done: CheckpointEntry, mark: EntryMark, sitePath: string): boolean {
  return done.path === mark.path && done.size === mark.size && done.offset === mark.offset && done.cksum === mark.cksum && done.sitePath === sitePath && done.file.size === mark.size;
}

type FileTraits = { contentType: string; cacheControl: string; compress: boolean };
type Stored = { file: ManifestFile; uploadedBytes: number; reused: boolean };

async function storeSmall(input: StoreInput, body: { bytes: Buffer; hash: string }, traits: FileTraits): Promise<Stored> {
  const size = body.bytes.length;
  const reuse = input.blobs.reusable(body.hash, traits.compress && size > 0);
  let file: ManifestFile;
  let uploadedBytes = 0;
  // Whether the primary blob was already stored (the file counts as reused even if its brotli copy is new).
  let reused = true;
  if (reuse) {
    file = { hash: body.hash, size, storedSize: reuse.storedSize, contentType: traits.contentType, contentEncoding: reuse.contentEncoding, cacheControl: traits.cacheControl, blobKey: reuse.key };
  } else {
    let stored = body.bytes;
    let contentEncoding: "gzip" | undefined;
    if (traits.compress && size > 0) {
      const zipped = size <= SYNC_COMPRESS_BYTES ? gzipSync(body.bytes, { level: 6 }) : await gzip(body.bytes, { level: 6 });
      if (zipped.length < size) {
        stored = zipped;
        contentEncoding = "gzip";
      }
    }
    const put = await input.blobs.putBuffer(body.hash, stored, { contentType: traits.contentType, contentEncoding, cacheControl: traits.cacheControl });
    file = { hash: body.hash, size, storedSize: stored.length, contentType: traits.contentType, contentEncoding, cacheControl: traits.cacheControl, blobKey: put.key };
    uploadedBytes = put.uploadedBytes;
    reused = put.reused;
  }
  const br = file.contentEncoding === "gzip" ? await storeBrotli(input, body, file, traits) : undefined;
  if (br) {
    file.br = { blobKey: br.key, storedSize: br.storedSize };
    uploadedBytes += br.uploadedBytes;
  }
  return { file, uploadedBytes, reused };
}

/**
 * The brotli copy of a gzip-stored file, kept only when it saves MIN_BROTLI_SAVING_BYTES over the
 * gzip blob (at quality 5 with a window sized to the file, it is 6–8% smaller than gzip level 6
 * on minified JavaScript and made as fast: BENCHMARKS.md, "Brotli at deploy time"). Reused like
 * any blob: an unchanged file costs no compression on redeploy.
 */
async function storeBrotli(input: StoreInput, body: { bytes: Buffer; hash: string }, file: ManifestFile, traits: FileTraits): Promise<{ key: string; storedSize: number; uploadedBytes: number } | undefined> {
  const quality = input.brotliQuality ?? 0;
  // Brotli beats gzip by 6–12% on typical text: below 8× the saving asked for it rarely gets
  // there, and trying on every page of a many-small-files site cost it a tenth more CPU.
  if (quality <= 0 || file.storedSize < 8 * MIN_BROTLI_SAVING_BYTES) return undefined;
  const key = input.blobs.keyFor(body.hash, "br");
  const known = input.blobs.storedSize(key);
  if (known !== undefined) return { key, storedSize: known, uploadedBytes: 0 };
  const size = body.bytes.length;
  const options: BrotliOptions = {
    params: {
      [zlibConstants.BROTLI_PARAM_QUALITY]: quality,
      [zlibConstants.BROTLI_PARAM_SIZE_HINT]: size,
      // A window no larger than the file: the default 4 MiB one makes a small file cost three times as much.
      [zlibConstants.BROTLI_PARAM_LGWIN]: Math.min(zlibConstants.BROTLI_MAX_WINDOW_BITS, Math.max(zlibConstants.BROTLI_MIN_WINDOW_BITS, Math.ceil(Math.log2(size)))),
      [zlibConstants.BROTLI_PARAM_MODE]: traits.contentType.startsWith("text/") ? zlibConstants.BROTLI_MODE_TEXT : zlibConstants.BROTLI_MODE_GENERIC,
    },
  };
  const compressed = size <= SYNC_COMPRESS_BYTES ? brotliCompressSync(body.bytes, options) : await brotliCompress(body.bytes, options);
  if (file.storedSize - compressed.length < MIN_BROTLI_SAVING_BYTES) return undefined;
  const put = await input.blobs.putBuffer(body.hash, compressed, { contentType: traits.contentType, contentEncoding: "br", cacheControl: traits.cacheControl });
  return { key: put.key, storedSize: compressed.length, uploadedBytes: put.uploadedBytes };
}

/**
 * A file too large to hold: streamed to storage while it is hashed. On a redeploy, when the
 * stage's live deploy had a file at this path of the same size, the file is first compared piece
 * by piece (CHUNK_BYTES, one piece held at most) against that file's piece hashes: if every piece
 * matches, the old blob is reused and nothing is uploaded; at the first piece that differs, the
 * upload starts with the old file's matching prefix (read back from storage) and goes on with the
 * new bytes.
 */
async function storeLarge(input: StoreInput, path: string, entry: ReadEntry, tempName: string, traits: FileTraits, previous: ManifestFile | undefined): Promise<Stored> {
  const contentEncoding = traits.compress ? ("gzip" as const) : undefined;
  const source = (entry as unknown as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  let size = 0;
  const next = async (): Promise<Buffer | undefined> => {
    const { value, done } = await source.next();
    if (done) return undefined;
    size += value.length;
    if (size > input.limits.maxFileBytes) {
      throw new HoistError("limits.file_too_large", `${quotePath(path)} is larger than the ${input.limits.maxFileBytes}-byte limit per file.`, { limit: input.limits.maxFileBytes });
    }
    return value;
  };

  const comparable = previous?.chunks !== undefined && previous.size === entry.size && previous.contentEncoding === contentEncoding && previous.chunks.length === Math.ceil(entry.size / CHUNK_BYTES);
  let differs = !comparable;
  const hasher = new ChunkHasher((index, hash) => {
    if (previous?.chunks?.[index] !== hash) differs = true;
  });
  // Bytes read but not yet uploaded, starting at offset `heldFrom` of the file.
  let held: Buffer[] = [];
  let heldFrom = 0;
  let ended = false;
  while (!differs) {
    const chunk = await next();
    if (!chunk) {
      ended = true;
      break;
    }
    const finishedUpTo = hasher.update(chunk);
    held.push(chunk);
    if (!differs && finishedUpTo > 0) {
      // Every piece so far matched: what precedes the last boundary need not be kept.
      heldFrom = hasher.chunks.length * CHUNK_BYTES;
      held = finishedUpTo < chunk.length ? [chunk.subarray(finishedUpTo)] : [];
    }
  }
  let digest: string | undefined;
  if (ended) {
    digest = hasher.digest();
    if (!differs && previous && digest === previous.hash) {
      if (size !== entry.size) throw truncated(path);
      return { file: { ...previous, contentType: traits.contentType, cacheControl: traits.cacheControl }, uploadedBytes: 0, reused: true };
    }
  }

  let bodyFailure: unknown;
  const blobs = input.blobs;
  async function* bytes(): AsyncGenerator<Buffer> {
    try {
      if (heldFrom > 0 && previous) yield* blobs.readOriginal(previous, heldFrom);
      const kept = held;
      held = [];
      yield* kept;
      for (let chunk = ended ? undefined : await next(); chunk; chunk = await next()) {
        hasher.update(chunk);
        yield chunk;
      }
    } catch (err) {
      // The body's failure (a limit, a cut-off archive) is the reason to report: the upload's
      // own error is only its consequence (or a failed multipart abort, which s3rver lacks).
      bodyFailure ??= err;
      throw err;
    }
  }
  const raw = Readable.from(bytes(), { objectMode: false });
  const body: Readable = traits.compress ? raw.pipe(createGzip({ level: 6 })) : raw;
  if (traits.compress) raw.on("error", (err) => body.destroy(err));
  let put: Awaited<ReturnType<BlobStore["putStream"]>>;
  try {
    put = await blobs.putStream(tempName, body, { contentType: traits.contentType, contentEncoding, cacheControl: traits.cacheControl }, () => {
      digest ??= hasher.digest();
      return digest;
    });
  } catch (err) {
    throw bodyFailure ?? err;
  }
  if (size !== entry.size) throw truncated(path);
  const file = { hash: digest!, size, storedSize: put.storedBytes, contentType: traits.contentType, contentEncoding, cacheControl: traits.cacheControl, blobKey: put.key, chunks: hasher.chunks };
  return { file, uploadedBytes: put.uploadedBytes, reused: put.reused };
}

function truncated(path: string): HoistError {
  return new HoistError("archive.truncated", `${quotePath(path)} is shorter than its tar header declares: the archive is cut off. Push again.`);
}

function tally(c: StoreCounters, original: number, stored: number, uploaded: number, reused: boolean, encoding?: "gzip"): void {
  c.filesDone += 1;
  c.bytesDone += original;
  c.originalBytes += original;
  c.storedBytes += stored;
  c.uploadedBytes += uploaded;
  if (encoding) c.compressedFiles += 1;
  if (reused) c.reusedBlobs += 1;
  else c.uploadedBlobs += 1;
}
