import { z } from "zod";

/**
 * The S3 notification event, parsed at the edge. Real S3 URL-encodes object keys in events
 * (with `+` for a space); the embedded stand-in (s3rver) sends them raw, so a key is decoded
 * only when it is in encoded form. Multipart completions arrive as ObjectCreated:Post from
 * s3rver and as ObjectCreated:CompleteMultipartUpload from S3: any ObjectCreated counts.
 */
const S3RecordSchema = z.object({
  eventSource: z.literal("aws:s3").optional(),
  eventName: z.string(),
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({ key: z.string().min(1), size: z.number().optional() }),
  }),
});

export const S3EventSchema = z.object({ Records: z.array(S3RecordSchema).min(1) });

export type StagedObjectRef = { bucket: string; key: string; eventName: string };

export function decodeEventKey(key: string): string {
  // Encoded keys never contain a raw space and contain %XX or '+'; raw staging keys contain neither.
  if (!/%[0-9A-Fa-f]{2}|\+/.test(key)) return key;
  try {
    return decodeURIComponent(key.replace(/\+/g, " "));
  } catch {
    return key;
  }
}

export function parseS3Event(event: unknown): StagedObjectRef[] {
  const parsed = S3EventSchema.parse(event);
  return parsed.Records.filter((r) => r.eventName.startsWith("ObjectCreated")).map((r) => ({
    bucket: r.s3.bucket.name,
    key: decodeEventKey(r.s3.object.key),
    eventName: r.eventName,
  }));
}
