import type { Request } from "express";

/**
 * Reads a request body of at most `max` bytes. A declared Content-Length over the cap is refused
 * before reading anything; a body that grows past it while streaming is dropped at that point,
 * so no more than `max` bytes are ever held.
 */
export type CappedBody = { ok: true; body: Buffer } | { ok: false; tooLarge: true } | { ok: false; tooLarge: false; error: string };

export function readCappedBody(req: Request, max: number): Promise<CappedBody> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > max) return Promise.resolve({ ok: false, tooLarge: true });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: CappedBody) => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        chunks.length = 0;
        req.pause();
        return finish({ ok: false, tooLarge: true });
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish({ ok: true, body: Buffer.concat(chunks) });
    const onError = (err: Error) => finish({ ok: false, tooLarge: false, error: err.message });
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}
