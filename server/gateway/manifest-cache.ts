import type { S3Client } from "@aws-sdk/client-s3";
import { readManifest } from "../../core/manifest.ts";
import { Lru } from "./lru.ts";
import type { ServedFiles } from "./resolve-path.ts";
import type { SiteRules } from "./site-rules.ts";

/**
 * Parsed manifests by S3 key. A manifest is immutable (a deploy id is never reused), so a cached
 * one never goes stale and needs no expiry — only a memory bound. Concurrent requests for the same
 * key share one read, so a new deploy going live does not send a burst of identical GetObjects.
 *
 * Files are kept in a Map: manifest paths come from users' repositories, and a plain-object
 * lookup of a request path like "__proto__" would find Object.prototype.
 */

export type CachedManifest = ServedFiles & { key: string; deployId: string; rules: SiteRules };

export class ManifestCache {
  private readonly lru: Lru<string, CachedManifest>;
  private readonly loading = new Map<string, Promise<CachedManifest>>();

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    /** Budget in manifest entries (files) across all cached manifests. */
    maxFiles: number,
  ) {
    this.lru = new Lru(maxFiles);
  }

  get(key: string): Promise<CachedManifest> {
    const hit = this.lru.get(key);
    if (hit) return Promise.resolve(hit);
    const pending = this.loading.get(key);
    if (pending) return pending;
    const load = this.load(key).finally(() => this.loading.delete(key));
    this.loading.set(key, load);
    return load;
  }

  private async load(key: string): Promise<CachedManifest> {
    const manifest = await readManifest(this.s3, this.bucket, key);
    const files = new Map(Object.entries(manifest.files));
    const rules = { headers: manifest.headers ?? [], redirects: manifest.redirects ?? [] };
    const cached: CachedManifest = { key, deployId: manifest.deployId, files, notFound: manifest.notFound, rules };
    this.lru.set(key, cached, files.size + rules.headers.length + rules.redirects.length + 1);
    return cached;
  }
}
