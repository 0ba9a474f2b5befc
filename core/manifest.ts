import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { z } from "zod";

/**
 * A manifest is the complete description of one deploy's site: request path → blob.
 * Blobs are content-addressed per site by the sha256 of the ORIGINAL bytes (plus the stored
 * encoding, since the same bytes may be stored gzip'd under one name and raw under another).
 * A deploy is live only when a stage's pointer names its manifest (sites.ts).
 *
 * A compressible file may also have a brotli copy (`br`), made at deploy time and sent to
 * clients that accept `br`; the primary blob stays the one every client can be served from.
 *
 * Sites bucket layout:
 *   sites/<workspace>/<repo>/blobs/<sha256>[.gz|.br]
 *   sites/<workspace>/<repo>/manifests/<deployId>.json
 */

export const ManifestFileSchema = z.object({
  /** sha256 (hex) of the original bytes. */
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
  storedSize: z.number().int().nonnegative(),
  contentType: z.string(),
  contentEncoding: z.enum(["gzip"]).optional(),
  cacheControl: z.string(),
  blobKey: z.string(),
  /** A brotli copy of the original bytes, when one was made and is smaller than the primary blob. */
  br: z.object({ blobKey: z.string(), storedSize: z.number().int().nonnegative() }).optional(),
  /** Large files only: sha256 of each 8 MiB piece of the original bytes, so a redeploy can skip unchanged files unread-twice. */
  chunks: z.array(z.string().regex(/^[0-9a-f]{64}$/)).optional(),
});
export type ManifestFile = z.infer<typeof ManifestFileSchema>;

export const ManifestSchema = z.object({
  version: z.literal(1),
  siteId: z.string(),
  deployId: z.string(),
  stage: z.string(),
  commit: z.string(),
  createdAt: z.string(),
  /** Served with status 404 for paths that match nothing, when present (e.g. "404.html"). */
  notFound: z.string().optional(),
  /** Response headers and redirects from the repository's settings file, applied by the gateway. */
  headers: z.array(z.object({ path: z.string(), values: z.record(z.string(), z.string()) })).optional(),
  redirects: z.array(z.object({ from: z.string(), to: z.string(), status: z.number().int() })).optional(),
  /** Keys are paths relative to the site root, without a leading slash ("index.html", "css/a.css"). */
  files: z.record(z.string(), ManifestFileSchema),
});
export type Manifest = z.infer<typeof ManifestSchema>;

export type StoredEncoding = "gzip" | "br";

export function blobKey(siteId: string, hash: string, encoding?: StoredEncoding): string {
  return `sites/${siteId}/blobs/${hash}${encoding === "gzip" ? ".gz" : encoding === "br" ? ".br" : ""}`;
}

/** Every blob one manifest entry names, with its stored size: what gc keeps and a redeploy may reuse. */
export function blobsOf(file: ManifestFile): Array<{ key: string; storedSize: number }> {
  const blobs = [{ key: file.blobKey, storedSize: file.storedSize }];
  if (file.br) blobs.push({ key: file.br.blobKey, storedSize: file.br.storedSize });
  return blobs;
}

export function manifestKey(siteId: string, deployId: string): string {
  return `sites/${siteId}/manifests/${deployId}.json`;
}

export async function writeManifest(s3: S3Client, bucket: string, manifest: Manifest): Promise<string> {
  const key = manifestKey(manifest.siteId, manifest.deployId);
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: JSON.stringify(manifest),
      ContentType: "application/json",
      // Manifests are immutable: a deploy id is never reused.
      CacheControl: "private, max-age=31536000, immutable",
    }),
  );
  return key;
}

export async function readManifest(s3: S3Client, bucket: string, key: string): Promise<Manifest> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const text = await out.Body!.transformToString("utf-8");
  return ManifestSchema.parse(JSON.parse(text));
}
