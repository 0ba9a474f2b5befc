import { createHash, type Hash } from "node:crypto";

/** Size of the pieces a large file is hashed in, so a redeploy can tell which pieces changed. */
export const CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * Hashes a stream in fixed-size pieces (sha256 of each CHUNK_BYTES of the original bytes) as
 * well as whole. `onChunk` hears each finished piece, in order, as soon as its last byte arrives.
 */
export class ChunkHasher {
  readonly chunks: string[] = [];
  private readonly whole = createHash("sha256");
  private current: Hash = createHash("sha256");
  private filled = 0;

  constructor(private readonly onChunk: (index: number, hash: string) => void = () => {}) {}

  /** Feeds bytes; returns how many bytes of `buf` belong to pieces that finished during this call. */
  update(buf: Buffer): number {
    this.whole.update(buf);
    let offset = 0;
    let finishedUpTo = 0;
    while (offset < buf.length) {
      const take = Math.min(CHUNK_BYTES - this.filled, buf.length - offset);
      this.current.update(buf.subarray(offset, offset + take));
      this.filled += take;
      offset += take;
      if (this.filled === CHUNK_BYTES) {
        this.closeChunk();
        finishedUpTo = offset;
      }
    }
    return finishedUpTo;
  }

  /** Ends the stream: closes the last partial piece and returns the whole-file hash. */
  digest(): string {
    if (this.filled > 0) this.closeChunk();
    return this.whole.digest("hex");
  }

  private closeChunk(): void {
    const hex = this.current.digest("hex");
    this.chunks.push(hex);
    this.onChunk(this.chunks.length - 1, hex);
    this.current = createHash("sha256");
    this.filled = 0;
  }
}
