import type { Readable } from "node:stream";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { Lru } from "./lru.ts";

/**
 * Hot blobs in memory (docs/architecture.md, "Serving"). Blobs are content-addressed and never
 * change, so a cached blob is never stale: a new deploy or a rollback changes which blobs the
 * manifest names, not what a blob holds. The cache is bounded by bytes (least recently used
 * first out); only blobs up to `maxFileBytes` are kept, larger ones keep streaming from S3 and
 * are never held whole. Concurrent misses for one blob share one S3 read.
 *
 * A gzip-stored blob asked for by a client that refuses gzip is decoded once and its decoded
 * bytes are kept too (under their own key, in the same byte budget), so such clients cost a
 * memory copy rather than a gunzip per request.
 */

const gunzipAsync = promisify(gunzip);

export type BlobCacheOptions = { budgetBytes: number; maxFileBytes: number };

export class BlobCache {
  private readonly lru: Lru<string, Buffer>;
  private readonly loading = new Map<string, Promise<Buffer>>();
  /** S3 reads made to fill the cache (for tests and the bench). */
  reads = 0;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly opts: BlobCacheOptions,
  ) {
    this.lru = new Lru(opts.budgetBytes);
  }

  /** Whether a blob of this stored size is served from memory. */
  holds(storedSize: number): boolean {
    return storedSize <= this.opts.maxFileBytes && storedSize <= this.opts.budgetBytes;
  }

  /** Bytes held now (never above the budget). */
  get bytes(): number {
    return this.lru.weight;
  }

  /** The blob's stored bytes, from memory or read once from S3. Only for sizes `holds` accepts. */
  get(blobKey: string, storedSize: number): Promise<Buffer> {
    return this.through(blobKey, () => this.read(blobKey, storedSize));
  }

  /**
   * A gzip-stored blob's decoded bytes (`size` long, from the manifest), decoded once and kept
   * while they fit the file limit; larger ones are decoded for this request only.
   */
  decoded(blobKey: string, storedSize: number, size: number): Promise<Buffer> {
    const decode = async () => {
      const bytes = await gunzipAsync(await this.get(blobKey, storedSize));
      if (bytes.length !== size) throw new Error(`blob ${blobKey} decodes to ${bytes.length} bytes, not the manifest's ${size}`);
      return bytes;
    };
    if (size > this.opts.maxFileBytes) return decode();
    return this.through(`${blobKey}#identity`, decode);
  }

  /** A hit from memory, else one shared load whose result is kept. */
  private through(key: string, load: () => Promise<Buffer>): Promise<Buffer> {
    const hit = this.lru.get(key);
    if (hit) return Promise.resolve(hit);
    const pending = this.loading.get(key);
    if (pending) return pending;
    const loaded = load().then(
      (bytes) => {
        this.loading.delete(key);
        this.lru.set(key, bytes, bytes.length);
        return bytes;
      },
      (err: unknown) => {
        this.loading.delete(key);
        throw err;
      },
    );
    this.loading.set(key, loaded);
    return loaded;
  }

  private async read(blobKey: string, storedSize: number): Promise<Buffer> {
    this.reads++;
    const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: blobKey }));
    const body = out.Body as Readable;
    const bytes = Buffer.allocUnsafe(storedSize);
    let at = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      // The manifest names the size: a blob that is longer is not what it says, and is not kept.
      if (at + chunk.length > storedSize) {
        body.destroy();
        throw new Error(`blob ${blobKey} is longer than its manifest entry (${storedSize} bytes)`);
      }
      chunk.copy(bytes, at);
      at += chunk.length;
    }
    if (at !== storedSize) throw new Error(`blob ${blobKey} is shorter than its manifest entry (${at} of ${storedSize} bytes)`);
    return bytes;
  }
}
