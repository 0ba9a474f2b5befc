import type { SiteRef } from "./site.ts";

/**
 * Staging objects: one per deploy, `deploys/<workspace>/<repo>/<deployId>.tar.gz`.
 * The key is the only thing the deployer learns from the S3 event, so it carries everything
 * needed to find the deploy record.
 */
const STAGING_KEY = /^deploys\/([a-z0-9][a-z0-9._-]*)\/([a-z0-9][a-z0-9._-]*)\/([0-9A-HJKMNP-TV-Z]{26})\.tar\.gz$/;

export function stagingKey(ref: SiteRef, deployId: string): string {
  return `deploys/${ref.workspace}/${ref.repo}/${deployId}.tar.gz`;
}

export function parseStagingKey(key: string): (SiteRef & { deployId: string }) | null {
  const m = STAGING_KEY.exec(key);
  if (!m || m[1]!.includes("..") || m[2]!.includes("..")) return null;
  return { workspace: m[1]!, repo: m[2]!, deployId: m[3]! };
}

/**
 * A deploy's checkpoint (lambda/deploy/checkpoint.ts) sits beside its archive, outside
 * `deploys/` so no segment triggers the deployer: `checkpoints/<workspace>/<repo>/<deployId>/<segment>.json`.
 */
export function checkpointPrefix(stagingKey: string): string {
  return `checkpoints/${stagingKey.replace(/^deploys\//, "").replace(/\.tar\.gz$/, "")}/`;
}

/** The staged archive a checkpoint segment belongs to, or null for a key of no deploy. */
export function parseCheckpointKey(key: string): (SiteRef & { deployId: string }) | null {
  const m = /^checkpoints\/(.+)\/[^/]+$/.exec(key);
  return m ? parseStagingKey(`deploys/${m[1]}.tar.gz`) : null;
}

/** Object metadata the local Lambda runner reads to emulate a per-deploy function timeout. */
export const LOCAL_TIMEOUT_METADATA = "hoist-function-timeout";
