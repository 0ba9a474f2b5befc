import type { S3Client } from "@aws-sdk/client-s3";
import { readManifest } from "../core/manifest.ts";
import type { Sites } from "../core/sites.ts";
import type { Logger } from "../core/log.ts";

/**
 * The blob keys a site's stages serve right now, with their stored sizes (so a reused blob needs
 * neither an upload nor a second gzip to fill in its manifest entry). Blobs are never deleted while
 * a manifest that names them may go live again, so a key listed here is safe to reuse without a request.
 * A manifest that cannot be read only costs reuse, never correctness.
 */
export async function knownBlobs(s3: S3Client, bucket: string, sites: Sites, siteId: string, logger: Logger): Promise<Map<string, number>> {
  const keys = new Map<string, number>();
  const stages = await sites.listStages(siteId);
  const manifestKeys = new Set(stages.map((s) => s.liveManifestKey).filter((k): k is string => Boolean(k)));
  for (const key of manifestKeys) {
    try {
      const manifest = await readManifest(s3, bucket, key);
      for (const file of Object.values(manifest.files)) keys.set(file.blobKey, file.storedSize);
    } catch (err) {
      logger.warn({ err, manifestKey: key }, "could not read a live manifest; its blobs will be uploaded again");
    }
  }
  return keys;
}
