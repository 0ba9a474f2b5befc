import { createHash } from "node:crypto";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { expect } from "vitest";
import type { Clients } from "../../core/aws.ts";
import type { Config } from "../../core/config.ts";
import { blobKey, writeManifest, type Manifest, type ManifestFile } from "../../core/manifest.ts";
import { stageHostLabel } from "../../core/site.ts";
import { Sites } from "../../core/sites.ts";

/** Tests only: sites written the way the deployer writes them (blobs, manifest, published pointer). */

/** `br`: also store a brotli copy (only with `gzip`, as the deployer does). */
export type Content = { body: Buffer; type: string; gzip?: boolean; br?: boolean; cache?: string };

export type SitePublisher = (
  ref: { workspace: string; repo: string },
  deployId: string,
  files: Record<string, Content>,
  notFound?: string,
  rules?: Pick<Manifest, "headers" | "redirects">,
) => Promise<{ host: string; manifestKey: string }>;

export function sitePublisher(clients: Pick<Clients, "s3" | "db">, config: Pick<Config, "buckets" | "tables">): SitePublisher {
  return async (ref, deployId, files, notFound, rules = {}) => {
    const { s3, db } = clients;
    const siteId = `${ref.workspace}/${ref.repo}`;
    const entries: Record<string, ManifestFile> = {};
    for (const [path, c] of Object.entries(files)) {
      const hash = createHash("sha256").update(c.body).digest("hex");
      const stored = c.gzip ? gzipSync(c.body) : c.body;
      const key = blobKey(siteId, hash, c.gzip ? "gzip" : undefined);
      await s3.send(new PutObjectCommand({ Bucket: config.buckets.sites, Key: key, Body: stored }));
      entries[path] = {
        hash,
        size: c.body.length,
        storedSize: stored.length,
        contentType: c.type,
        contentEncoding: c.gzip ? "gzip" : undefined,
        cacheControl: c.cache ?? "public, max-age=0, must-revalidate",
        blobKey: key,
      };
      if (c.gzip && c.br) {
        const compressed = brotliCompressSync(c.body);
        const brKey = blobKey(siteId, hash, "br");
        await s3.send(new PutObjectCommand({ Bucket: config.buckets.sites, Key: brKey, Body: compressed }));
        entries[path]!.br = { blobKey: brKey, storedSize: compressed.length };
      }
    }
    const manifest: Manifest = { version: 1, siteId, deployId, stage: "production", commit: "c".repeat(40), createdAt: new Date().toISOString(), notFound, files: entries, ...rules };
    const manifestKey = await writeManifest(s3, config.buckets.sites, manifest);
    const host = stageHostLabel(ref);
    expect(await new Sites(db, config.tables.sites).publish({ host, siteId, stage: "production", deployId, manifestKey })).toBe("published");
    return { host, manifestKey };
  };
}
