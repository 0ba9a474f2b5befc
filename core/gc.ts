import { DeleteObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import type { Clients } from "./aws.ts";
import type { Config } from "./config.ts";
import { FINAL_STATUSES, type DeployRecord, type DeployRecords } from "./deploy-records.ts";
import type { Logger } from "./log.ts";
import { blobsOf, readManifest } from "./manifest.ts";
import { parseSiteId, siteId as siteIdOf } from "./site.ts";
import type { SiteStage, Sites } from "./sites.ts";
import { parseCheckpointKey, parseStagingKey } from "./staging.ts";

/**
 * Retention and garbage collection (docs/architecture.md, "Data"): `hoist gc`, and in AWS a
 * scheduled run of the deployer function (infra/template.yaml).
 *
 *   retain   per site: every deploy still queued or running, every deploy a stage serves or has
 *            published, the newest `perStage` of each stage, and every deploy of the last `days`;
 *   prune    the other deploys leave the history: their records and manifests are deleted, so they
 *            can no longer be rolled back to;
 *   mark     the blobs the retained manifests name;
 *   sweep    every other object under the site's prefix (unreferenced blobs, manifests of deploys
 *            that are gone, uploads a killed run left) — but only when it is older than the grace
 *            period, so a deploy in flight, whose blobs no manifest names yet, never loses one;
 *            A site with a deploy running is not swept (a continued deploy's blobs may be older than the grace);
 *   staging  staged archives and checkpoints whose deploy has ended (or never existed), past the same grace.
 */

export type Retention = Config["retention"];

export type GcReport = {
  dryRun: boolean;
  sites: number;
  deploysPruned: number;
  manifestsDeleted: number;
  blobsDeleted: number;
  bytesFreed: number;
  stagedDeleted: number;
  stagedBytesFreed: number;
};

export type GcDeps = { config: Config; clients: Clients; records: DeployRecords; sites: Sites; logger: Logger };

const DAY_MS = 24 * 3600 * 1000;

export async function collectGarbage(deps: GcDeps, opts: { dryRun?: boolean; retention?: Retention; now?: number; graceMs?: number } = {}): Promise<GcReport> {
  const now = opts.now ?? Date.now();
  const retention = opts.retention ?? deps.config.retention;
  // Longer than any deploy can run (its function's attempts), and never under an hour.
  const graceMs = opts.graceMs ?? Math.max(3600_000, deps.config.lambdaTimeoutSeconds * 1000 * 3);
  const before = now - graceMs;
  const report: GcReport = { dryRun: Boolean(opts.dryRun), sites: 0, deploysPruned: 0, manifestsDeleted: 0, blobsDeleted: 0, bytesFreed: 0, stagedDeleted: 0, stagedBytesFreed: 0 };
  const bucket = deps.config.buckets.sites;
  const remove = async (b: string, key: string) => {
    if (!opts.dryRun) await deps.clients.s3.send(new DeleteObjectCommand({ Bucket: b, Key: key }));
  };

  const stagesBySite = new Map<string, SiteStage[]>();
  for (const stage of await deps.sites.allStages({ includeMoved: true })) stagesBySite.set(stage.siteId, [...(stagesBySite.get(stage.siteId) ?? []), stage]);
  for (const id of await sitePrefixes(deps.clients.s3, bucket)) if (!stagesBySite.has(id)) stagesBySite.set(id, []);

  for (const [siteId, stages] of stagesBySite) {
    report.sites += 1;
    const deploys = await allDeploys(deps.records, siteId);
    const kept = retained(deploys, stages, retention, now);
    for (const d of deploys.filter((d) => !kept.has(d.deployId))) {
      if (!opts.dryRun && !(await deps.records.deleteEnded(siteId, d.deployId))) {
        kept.add(d.deployId);
        continue;
      }
      report.deploysPruned += 1;
    }
    const marked = new Set<string>();
    for (const d of deploys.filter((d) => kept.has(d.deployId) && d.manifestKey)) {
      marked.add(d.manifestKey!);
      try {
        for (const file of Object.values((await readManifest(deps.clients.s3, bucket, d.manifestKey!)).files)) for (const blob of blobsOf(file)) marked.add(blob.key);
      } catch (err) {
        deps.logger.warn({ err: (err as Error).message, siteId, deployId: d.deployId }, "gc: a retained deploy's manifest cannot be read; its site is not swept");
        marked.add("*");
      }
    }
    if (marked.has("*")) continue;
    // A deploy still running may have been continued for longer than the grace period: blobs its
    // earlier runs stored are named only by its checkpoint, so its site waits for the next gc.
    if (deploys.some((d) => d.status === "running")) continue;
    for await (const object of listAll(deps.clients.s3, bucket, `sites/${siteId}/`)) {
      if (marked.has(object.key) || object.lastModified >= before) continue;
      await remove(bucket, object.key);
      if (object.key.includes("/manifests/")) report.manifestsDeleted += 1;
      else report.blobsDeleted += 1;
      report.bytesFreed += object.size;
    }
  }

  for await (const object of listAll(deps.clients.s3, deps.config.buckets.staging, "deploys/")) {
    if (object.lastModified >= before) continue;
    const staged = parseStagingKey(object.key);
    const record = staged ? await deps.records.get(siteIdOf(staged), staged.deployId) : undefined;
    if (record && !FINAL_STATUSES.includes(record.status)) continue;
    await remove(deps.config.buckets.staging, object.key);
    report.stagedDeleted += 1;
    report.stagedBytesFreed += object.size;
  }
  // Checkpoints of deploys that ended (their run could not delete them) or that no longer exist.
  for await (const object of listAll(deps.clients.s3, deps.config.buckets.staging, "checkpoints/")) {
    if (object.lastModified >= before) continue;
    const staged = parseCheckpointKey(object.key);
    const record = staged ? await deps.records.get(siteIdOf(staged), staged.deployId) : undefined;
    if (record && !FINAL_STATUSES.includes(record.status)) continue;
    await remove(deps.config.buckets.staging, object.key);
    report.stagedDeleted += 1;
    report.stagedBytesFreed += object.size;
  }
  deps.logger.info({ ...report }, "garbage collected");
  return report;
}

/** Which deploys of a site stay (see the header). */
export function retained(deploys: DeployRecord[], stages: SiteStage[], retention: Retention, now: number): Set<string> {
  const kept = new Set<string>();
  for (const st of stages) for (const id of [st.liveDeployId, st.publishedDeployId]) if (id) kept.add(id);
  const perStage = new Map<string, number>();
  // Newest first, as the history reads.
  for (const d of [...deploys].sort((a, b) => b.deployId.localeCompare(a.deployId))) {
    if (!FINAL_STATUSES.includes(d.status)) {
      kept.add(d.deployId);
      continue;
    }
    const seen = (perStage.get(d.stage) ?? 0) + 1;
    perStage.set(d.stage, seen);
    if (seen <= retention.perStage || Date.parse(d.queuedAt) >= now - retention.days * DAY_MS) kept.add(d.deployId);
  }
  return kept;
}

async function allDeploys(records: DeployRecords, siteId: string): Promise<DeployRecord[]> {
  const all: DeployRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await records.list(siteId, { limit: 100, cursor });
    all.push(...page.deploys);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

/** The site ids that have objects in the sites bucket (`sites/<workspace>/<repo>/…`). */
async function sitePrefixes(s3: S3Client, bucket: string): Promise<string[]> {
  const ids: string[] = [];
  for (const workspace of await prefixes(s3, bucket, "sites/")) {
    for (const repo of await prefixes(s3, bucket, workspace)) {
      const [, ws, rp] = repo.split("/");
      try {
        ids.push(siteIdOf(parseSiteId(`${ws}/${rp}`)));
      } catch {
        // not a site's prefix
      }
    }
  }
  return ids;
}

async function prefixes(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let token: string | undefined;
  do {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: "/", ContinuationToken: token }));
    for (const p of out.CommonPrefixes ?? []) if (p.Prefix) found.push(p.Prefix);
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  return found;
}

async function* listAll(s3: S3Client, bucket: string, prefix: string): AsyncGenerator<{ key: string; size: number; lastModified: number }> {
  let token: string | undefined;
  do {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of out.Contents ?? []) if (o.Key) yield { key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified?.getTime() ?? 0 };
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
}
