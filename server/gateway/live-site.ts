import type { S3Client } from "@aws-sdk/client-s3";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Sites, type SiteStage } from "../../core/sites.ts";
import { Lru } from "./lru.ts";
import { ManifestCache, type CachedManifest } from "./manifest-cache.ts";

/**
 * What a host label serves right now: its stage's live pointer, then that pointer's manifest.
 *
 * The pointer is the only mutable thing (publish and rollback rewrite it), so it is cached for
 * at most `pointerTtlMs` (1 s by default): a rollback shows within a second, and a busy site
 * costs DynamoDB about one read per second per process instead of one per request. Unknown
 * labels are cached for the same time so a scan of made-up hosts cannot hammer the table.
 * The expiry counts from when the read started, so a slow read never extends staleness.
 */

export type LiveSite = { stage: SiteStage; manifest: CachedManifest };
/** A stage's old host: it redirects to the label the stage serves on now. */
export type MovedSite = { movedTo: string };

type Pointer = { stage: SiteStage | undefined; expiresAt: number };

export type LiveSiteOptions = { pointerTtlMs: number; maxPointers: number; maxManifestFiles: number };

export class LiveSites {
  private readonly sites: Sites;
  private readonly manifests: ManifestCache;
  private readonly pointers: Lru<string, Pointer>;
  private readonly reading = new Map<string, Promise<SiteStage | undefined>>();

  constructor(
    clients: { s3: S3Client; db: DynamoDBDocumentClient },
    names: { sitesTable: string; sitesBucket: string },
    private readonly options: LiveSiteOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.sites = new Sites(clients.db, names.sitesTable);
    this.manifests = new ManifestCache(clients.s3, names.sitesBucket, options.maxManifestFiles);
    this.pointers = new Lru(options.maxPointers);
  }

  /** The live site for a label, where it moved, or undefined when nothing is published there. */
  async get(label: string): Promise<LiveSite | MovedSite | undefined> {
    const stage = await this.pointer(label);
    if (stage?.movedTo) return { movedTo: stage.movedTo };
    if (!stage?.liveManifestKey) return undefined;
    return { stage, manifest: await this.manifests.get(stage.liveManifestKey) };
  }

  private pointer(label: string): Promise<SiteStage | undefined> {
    const cached = this.pointers.get(label);
    if (cached && cached.expiresAt > this.now()) return Promise.resolve(cached.stage);
    const pending = this.reading.get(label);
    if (pending) return pending;
    const startedAt = this.now();
    const read = this.sites
      .get(label)
      .then((stage) => {
        this.pointers.set(label, { stage, expiresAt: startedAt + this.options.pointerTtlMs });
        return stage;
      })
      .finally(() => this.reading.delete(label));
    this.reading.set(label, read);
    return read;
  }
}
