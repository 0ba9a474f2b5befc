import { Transform, type TransformCallback } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";

/** Passes bytes through at no more than `bytesPerSecond` (the slow-archive fault). */
export class Throttle extends Transform {
  constructor(private readonly bytesPerSecond: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.trickle(chunk).then(() => done(), done);
  }

  private async trickle(chunk: Buffer): Promise<void> {
    // Slices of a tenth of a second keep the rate smooth rather than bursty.
    const slice = Math.max(1, Math.floor(this.bytesPerSecond / 10));
    for (let at = 0; at < chunk.length; at += slice) {
      const part = chunk.subarray(at, at + slice);
      this.push(part);
      await sleep((part.length / this.bytesPerSecond) * 1000);
    }
  }
}
