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

/** Object metadata the local Lambda runner reads to emulate a per-deploy function timeout. */
export const LOCAL_TIMEOUT_METADATA = "hoist-function-timeout";
