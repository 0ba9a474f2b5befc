import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { createGunzip } from "node:zlib";
import { Upload } from "@aws-sdk/lib-storage";
import type { Readable } from "node:stream";
import { blobKey, type StoredEncoding } from "../../core/manifest.ts";

export type BlobMeta = { contentType: string; contentEncoding?: StoredEncoding; cacheControl: string };
export type PutResult = { key: string; uploadedBytes: number; reused: boolean };

/**
 * A site's content-addressed blobs. `known` maps the keys the site's live manifests already
 * reference to their stored sizes (so an unchanged file costs no request at all); keys written
 * during this deploy are added as they land, so two files with the same bytes upload once.
 */
export class BlobStore {
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly siteId: string,
    private readonly known: Map<string, number>,
    private readonly signal: AbortSignal,
  ) {}

  keyFor(hash: string, encoding?: StoredEncoding): string {
    return blobKey(this.siteId, hash, encoding);
  }

  /** The stored size of a blob the site already has (or this deploy stored), else undefined. */
  storedSize(key: string): number | undefined {
    return this.known.get(key);
  }

  /**
   * The blob the site already stores for these original bytes, found before any gzip work: an
   * unchanged file on redeploy costs its hash and nothing else. A file that would be compressed
   * looks for its gzip'd blob only; a raw one (gzip was not smaller) is found by putBuffer later.
   */
  reusable(hash: string, compress: boolean): { key: string; storedSize: number; contentEncoding?: "gzip" } | undefined {
    const contentEncoding = compress ? ("gzip" as const) : undefined;
    const key = this.keyFor(hash, contentEncoding);
    const storedSize = this.known.get(key);
    return storedSize === undefined ? undefined : { key, storedSize, contentEncoding };
  }

  /** Stores a small body already in memory under its content key, unless the site has it. */
  async putBuffer(hash: string, body: Buffer, meta: BlobMeta): Promise<PutResult> {
    const key = this.keyFor(hash, meta.contentEncoding);
    if (this.known.has(key)) return { key, uploadedBytes: 0, reused: true };
    const pending = this.inFlight.get(key);
    if (pending) {
      await pending;
      return { key, uploadedBytes: 0, reused: true };
    }
    const put = this.s3
      .send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentLength: body.length,
          ContentType: meta.contentType,
          ContentEncoding: meta.contentEncoding,
          CacheControl: meta.cacheControl,
        }),
        { abortSignal: this.signal },
      )
      .then(() => undefined);
    this.inFlight.set(key, put);
    try {
      await put;
      this.known.set(key, body.length);
    } finally {
      this.inFlight.delete(key);
    }
    return { key, uploadedBytes: body.length, reused: false };
  }

  /** The first `bytes` of a stored file's ORIGINAL bytes (decoded when stored gzip'd). */
  async *readOriginal(file: { blobKey: string; contentEncoding?: "gzip" }, bytes: number): AsyncGenerator<Buffer> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: file.blobKey }), { abortSignal: this.signal });
    const stored = out.Body as Readable;
    const original: Readable = file.contentEncoding === "gzip" ? stored.pipe(createGunzip()) : stored;
    if (file.contentEncoding === "gzip") stored.on("error", (err) => original.destroy(err));
    let left = bytes;
    try {
      for await (const chunk of original as AsyncIterable<Buffer>) {
        const piece = chunk.length > left ? chunk.subarray(0, left) : chunk;
        left -= piece.length;
        yield piece;
        if (left === 0) break;
      }
    } finally {
      original.destroy();
      stored.destroy();
    }
    if (left > 0) throw new Error(`stored blob ${file.blobKey} is shorter than its manifest says`);
  }

  /**
   * Streams a large body to a temporary key (its hash is known only at the end), then moves it
   * to its content key with a server-side copy, or drops it when the site already has that blob.
   */
  async putStream(tempName: string, body: Readable, meta: BlobMeta, finalHash: () => string): Promise<PutResult & { storedBytes: number }> {
    const tempKey = `sites/${this.siteId}/uploads/${tempName}`;
    let storedBytes = 0;
    body.on("data", (chunk: Buffer) => {
      storedBytes += chunk.length;
    });
    const upload = new Upload({
      client: this.s3,
      params: { Bucket: this.bucket, Key: tempKey, Body: body, ContentType: meta.contentType, ContentEncoding: meta.contentEncoding, CacheControl: meta.cacheControl },
      queueSize: 2,
      partSize: 8 * 1024 * 1024,
      leavePartsOnError: false,
      abortController: abortControllerFor(this.signal),
    });
    await upload.done();
    const key = this.keyFor(finalHash(), meta.contentEncoding);
    const reused = this.known.has(key);
    try {
      if (!reused) {
        await this.s3.send(new CopyObjectCommand({ Bucket: this.bucket, Key: key, CopySource: `${this.bucket}/${encodeURIComponent(tempKey).replace(/%2F/g, "/")}` }), { abortSignal: this.signal });
        this.known.set(key, storedBytes);
      }
    } finally {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: tempKey })).catch(() => undefined);
    }
    return { key, uploadedBytes: storedBytes, reused, storedBytes };
  }
}

function abortControllerFor(signal: AbortSignal): AbortController {
  const controller = new AbortController();
  if (signal.aborted) controller.abort(signal.reason);
  else signal.addEventListener("abort", () => controller.abort(signal.reason), { once: true });
  return controller;
}
