import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { z } from "zod";
import { ManifestFileSchema, type ManifestFile } from "../../core/manifest.ts";

/**
 * What a deploy's runs have stored so far, so a later run (a continuation after the function's
 * time limit, or a retry after a kill) skips it (docs/architecture.md, "Deploys that outlive the
 * function").
 *
 * A checkpoint is a set of segments in the staging bucket, under
 * `checkpoints/<workspace>/<repo>/<deployId>/` (outside `deploys/`, so no segment triggers the
 * deployer): each segment lists the files stored since the previous one, with the tar header
 * they came from. Segments are only ever added (a run writes one every few seconds and one when
 * it hands off), so a run killed at any moment loses at most the last few seconds of work, and
 * no two runs ever write the same object. A segment names the staged archive's ETag: a
 * checkpoint of one archive is never applied to another.
 */

/** An entry's place in the archive, from its tar header. */
export type EntryMark = {
  /** Index in the archive (every entry counts, folders too). */
  index: number;
  /** The path as the archive has it (with its top folder). */
  path: string;
  size: number;
  /** Data bytes of all entries before this one. */
  offset: number;
  /** The tar header's checksum (covers its name, size, mode and time). */
  cksum: number;
};

export type CheckpointEntry = EntryMark & { sitePath: string; file: ManifestFile; uploadedBytes: number; reused: boolean };

const SegmentSchema = z.object({
  version: z.literal(1),
  deployId: z.string(),
  archiveEtag: z.string(),
  entries: z.array(
    z.object({
      index: z.number().int().nonnegative(),
      path: z.string(),
      size: z.number().int().nonnegative(),
      offset: z.number().int().nonnegative(),
      cksum: z.number().int(),
      sitePath: z.string(),
      file: ManifestFileSchema,
      uploadedBytes: z.number().int().nonnegative(),
      reused: z.boolean(),
    }),
  ),
});

/** Segments read at once when a run picks a checkpoint up. */
const READ_CONCURRENCY = 8;

export type CheckpointPlace = { s3: S3Client; bucket: string; prefix: string; deployId: string; archiveEtag: string };

/**
 * Collects the files this run stores and writes them out as segments: `flush` writes what
 * arrived since the last one (one at a time, in order); nothing is written when nothing arrived.
 */
export class CheckpointWriter {
  private pending: CheckpointEntry[] = [];
  private seq = 0;
  private writing: Promise<void> = Promise.resolve();
  /** Files written to segments by this run. */
  written = 0;

  constructor(
    private readonly place: CheckpointPlace,
    /** Unique per run: segments of different runs never share a key. */
    private readonly runId: string,
  ) {}

  /** Resolves when no segment write is in flight (after the run's last flush has landed or failed). */
  settled(): Promise<void> {
    return this.writing;
  }

  add(entry: CheckpointEntry): void {
    this.pending.push(entry);
  }

  /** Writes the files stored since the last flush as one segment. Rejects if the write fails. */
  flush(): Promise<void> {
    const next = this.writing.then(() => this.writeSegment());
    // A failed write keeps its entries for the next flush; the chain itself never stays rejected.
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async writeSegment(): Promise<void> {
    if (this.pending.length === 0) return;
    const entries = this.pending;
    this.pending = [];
    const { s3, bucket, prefix, deployId, archiveEtag } = this.place;
    const key = `${prefix}${this.runId}-${String(this.seq).padStart(6, "0")}.json`;
    try {
      const body = JSON.stringify({ version: 1, deployId, archiveEtag, entries });
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: "application/json" }));
      this.seq += 1;
      this.written += entries.length;
    } catch (err) {
      this.pending = entries.concat(this.pending);
      throw err;
    }
  }
}

/**
 * The files earlier runs stored, by archive index, from every segment written for this
 * archive; segments of another archive (same deploy id, different ETag) and unreadable ones
 * are ignored: their files are simply stored again.
 */
export async function readCheckpoint(place: CheckpointPlace): Promise<{ entries: Map<number, CheckpointEntry>; segments: number; ignored: number }> {
  const keys = await listSegments(place);
  const entries = new Map<number, CheckpointEntry>();
  let segments = 0;
  let ignored = 0;
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++]!;
      const segment = await readSegment(place, key);
      if (!segment || segment.deployId !== place.deployId || segment.archiveEtag !== place.archiveEtag) {
        ignored += 1;
        continue;
      }
      segments += 1;
      for (const entry of segment.entries) entries.set(entry.index, entry);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, keys.length) }, worker));
  return { entries, segments, ignored };
}

/** Removes a deploy's checkpoint (its deploy has an outcome). */
export async function deleteCheckpoint(place: Pick<CheckpointPlace, "s3" | "bucket" | "prefix">): Promise<void> {
  const keys = await listSegments(place);
  // One DeleteObject each (a few dozen at most): the embedded S3 has no reliable batch delete.
  let next = 0;
  const worker = async () => {
    while (next < keys.length) await place.s3.send(new DeleteObjectCommand({ Bucket: place.bucket, Key: keys[next++]! }));
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, keys.length) }, worker));
}

async function listSegments(place: Pick<CheckpointPlace, "s3" | "bucket" | "prefix">): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const out = await place.s3.send(new ListObjectsV2Command({ Bucket: place.bucket, Prefix: place.prefix, ContinuationToken: token }));
    for (const object of out.Contents ?? []) if (object.Key?.endsWith(".json")) keys.push(object.Key);
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

async function readSegment(place: CheckpointPlace, key: string): Promise<z.infer<typeof SegmentSchema> | undefined> {
  try {
    const out = await place.s3.send(new GetObjectCommand({ Bucket: place.bucket, Key: key }));
    const parsed = SegmentSchema.safeParse(JSON.parse(await out.Body!.transformToString()));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
