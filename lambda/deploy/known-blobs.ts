import type { S3Client } from "@aws-sdk/client-s3";
import { blobsOf, readManifest, type ManifestFile } from "../../core/manifest.ts";
import { PRODUCTION } from "../../core/site.ts";
import type { Sites } from "../../core/sites.ts";
import type { Logger } from "../../core/log.ts";

/**
 * The blob keys a site's stages serve right now, with their stored sizes (so a reused blob needs
 * neither an upload nor a second gzip to fill in its manifest entry). Blobs are never deleted while
 * a manifest that names them may go live again, so a key listed here is safe to reuse without a request.
 * A manifest that cannot be read only costs reuse, never correctness.
 */
export type KnownBlobs = {
  /** Blob key → stored size, over every stage's live deploy. */
  sizes: Map<string, number>;
  /** The files of the live deploy this one will replace (same stage, else production), by path. */
  previousFiles: Map<string, ManifestFile>;
};

export async function knownBlobs(s3: S3Client, bucket: string, sites: Sites, siteId: string, stage: string, logger: Logger): Promise<KnownBlobs> {
  const keys = new Map<string, number>();
  const previousFiles = new Map<string, ManifestFile>();
  const stages = await sites.listStages(siteId);
  const replaced = (stages.find((s) => s.stage === stage) ?? stages.find((s) => s.stage === PRODUCTION))?.liveManifestKey;
  const manifestKeys = new Set(stages.map((s) => s.liveManifestKey).filter((k): k is string => Boolean(k)));
  for (const key of manifestKeys) {
    try {
      const manifest = await readManifest(s3, bucket, key);
      for (const file of Object.values(manifest.files)) for (const blob of blobsOf(file)) keys.set(blob.key, blob.storedSize);
      if (key === replaced) for (const [path, file] of Object.entries(manifest.files)) previousFiles.set(path, file);
    } catch (err) {
      logger.warn({ err, manifestKey: key }, "could not read a live manifest; its blobs will be uploaded again");
    }
  }
  return { sizes: keys, previousFiles };
}
