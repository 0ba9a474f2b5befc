import { Upload } from "@aws-sdk/lib-storage";
import type { S3Client } from "@aws-sdk/client-s3";
import { Transform, type Readable } from "node:stream";
import { HoistError } from "../../core/errors.ts";

/**
 * Streams an archive into the staging bucket (multipart, a few parts in memory at most),
 * counting bytes as they pass so an archive over the limit is cut off mid-stream rather than
 * stored. Used by the webhook flow (body = Bitbucket's download) and by `hoist deploy` (a file).
 */
export async function stageArchive(input: {
  s3: S3Client;
  bucket: string;
  key: string;
  body: Readable;
  maxBytes: number;
  metadata?: Record<string, string>;
  signal?: AbortSignal;
}): Promise<{ bytes: number }> {
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > input.maxBytes) {
        done(new HoistError("limits.archive_too_large", `The archive is larger than ${input.maxBytes} bytes compressed. Make the repository smaller or raise HOIST_MAX_ARCHIVE_BYTES.`, { limit: input.maxBytes }));
        return;
      }
      done(null, chunk);
    },
  });
  input.body.on("error", (err) => meter.destroy(err));
  const controller = new AbortController();
  input.signal?.addEventListener("abort", () => controller.abort(input.signal?.reason), { once: true });
  let failure: unknown;
  meter.on("error", (err) => {
    failure ??= err;
    controller.abort(err);
  });
  const upload = new Upload({
    client: input.s3,
    params: { Bucket: input.bucket, Key: input.key, Body: input.body.pipe(meter), ContentType: "application/gzip", Metadata: input.metadata },
    queueSize: 2,
    partSize: 8 * 1024 * 1024,
    leavePartsOnError: false,
    abortController: controller,
  });
  try {
    await upload.done();
  } catch (err) {
    throw failure ?? err;
  }
  if (failure) throw failure;
  return { bytes };
}
