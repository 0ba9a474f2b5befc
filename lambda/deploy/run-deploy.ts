import { DeleteObjectCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import type { Readable } from "node:stream";
import { ulid } from "ulid";
import type { Clients } from "../../core/aws.ts";
import type { Config } from "../../core/config.ts";
import { DeployRecords, type DeployProgress, type DeployRecord, type DeployStats } from "../../core/deploy-records.ts";
import { HoistError, isHoistError } from "../../core/errors.ts";
import type { Logger } from "../../core/log.ts";
import { writeManifest, type Manifest, type ManifestFile } from "../../core/manifest.ts";
import { parseSiteSettings } from "../../core/site-settings.ts";
import { parseSiteId, stageHostLabel, stageUrl } from "../../core/site.ts";
import { Sites } from "../../core/sites.ts";
import type { ArchiveMeter } from "./archive-reader.ts";
import { BlobStore } from "./blob-store.ts";
import { DeployLog } from "./deploy-log.ts";
import { knownBlobs } from "./known-blobs.ts";
import { newCounters, storeArchive, type StoreCounters } from "./store-archive.ts";
import { startWatchdog, TimeBudgetExceeded } from "./watchdog.ts";

export type RunDeployDeps = { config: Config; clients: Clients; logger: Logger };
export type StagedObject = { bucket: string; key: string; siteId: string; deployId: string };
export type LambdaClock = { getRemainingTimeInMillis(): number };

export type RunResult =
  | { outcome: "finished"; record: DeployRecord }
  | { outcome: "skipped"; why: "no_record" | "already_claimed" | "lost_claim" };

const PROGRESS_EVERY_MS = 2000;

/**
 * One deploy, from a staged archive to a live site:
 *   claim the record → stream the archive into blobs → write the manifest → flip the stage's
 *   pointer (one conditional write) → record the outcome.
 * The live site changes only at the pointer flip; every failure before it leaves the site as it was.
 */
export async function runDeploy(deps: RunDeployDeps, staged: StagedObject, clock: LambdaClock): Promise<RunResult> {
  const { config, clients } = deps;
  const records = new DeployRecords(clients.db, config.tables.deploys);
  const sites = new Sites(clients.db, config.tables.sites);
  const logger = deps.logger.child({ deployId: staged.deployId, siteId: staged.siteId });

  const existing = await records.get(staged.siteId, staged.deployId);
  if (!existing) {
    logger.warn({ key: staged.key }, "staged archive has no deploy record; ignoring it");
    return { outcome: "skipped", why: "no_record" };
  }
  const runId = ulid();
  const remainingMs = clock.getRemainingTimeInMillis();
  const record = await records.claim(staged.siteId, staged.deployId, { runId, leaseMs: remainingMs });
  if (!record) {
    logger.info({ status: existing.status }, "deploy already taken by another run; nothing to do");
    return { outcome: "skipped", why: "already_claimed" };
  }

  const log = new DeployLog(logger.child({ runId, attempt: record.attempt }));
  const watchdog = startWatchdog(remainingMs, config.timeoutMarginMs);
  const started = Date.now();
  const counters = newCounters();
  const meter: ArchiveMeter = { compressedBytes: 0, uncompressedBytes: 0 };
  let archiveBytes: number | undefined;
  const progress = (limit?: string): DeployProgress => ({
    filesDone: counters.filesDone,
    bytesDone: counters.bytesDone,
    filesSeen: counters.filesSeen,
    bytesSeen: counters.bytesSeen,
    archiveBytesRead: meter.compressedBytes,
    archiveBytes,
    elapsedMs: Date.now() - started,
    ...(limit ? { limit } : {}),
  });
  const reporter = setInterval(() => {
    void records.reportProgress(staged.siteId, staged.deployId, runId, progress()).catch(() => undefined);
  }, PROGRESS_EVERY_MS);

  const finish = async (outcome: Parameters<DeployRecords["finish"]>[3]): Promise<RunResult> => {
    let ok: boolean;
    try {
      ok = await records.finish(staged.siteId, staged.deployId, runId, { ...outcome, startedAt: record.startedAt, log: log.toJSON() });
    } catch (err) {
      // The outcome could not be written: free the claim and let Lambda retry the whole run.
      await records.release(staged.siteId, staged.deployId, runId).catch(() => undefined);
      throw err;
    }
    if (!ok) {
      logger.warn("this run lost its claim on the deploy before finishing; its outcome was not recorded");
      return { outcome: "skipped", why: "lost_claim" };
    }
    // The deploy has its outcome: its staged archive is not needed again (gc sweeps it if this fails).
    await clients.s3.send(new DeleteObjectCommand({ Bucket: staged.bucket, Key: staged.key })).catch(() => undefined);
    return { outcome: "finished", record: (await records.get(staged.siteId, staged.deployId))! };
  };

  const ref = parseSiteId(staged.siteId);
  const url = stageUrl(ref, record.stage, config.sitesDomain);
  try {
    log.info(`Deploying ${record.commit.slice(0, 12)} of ${record.branch} (attempt ${record.attempt ?? 1})`);
    const known = await knownBlobs(clients.s3, config.buckets.sites, sites, staged.siteId, record.stage, logger);
    const object = await clients.s3.send(new GetObjectCommand({ Bucket: staged.bucket, Key: staged.key }), { abortSignal: watchdog.signal });
    archiveBytes = object.ContentLength;
    if (archiveBytes !== undefined && archiveBytes > config.limits.maxArchiveBytes) {
      throw new HoistError("limits.archive_too_large", `The archive is ${archiveBytes} bytes compressed; the limit is ${config.limits.maxArchiveBytes}. Make the site smaller or raise HOIST_MAX_ARCHIVE_BYTES.`, { limit: config.limits.maxArchiveBytes });
    }
    const blobs = new BlobStore(clients.s3, config.buckets.sites, staged.siteId, known.sizes, watchdog.signal);
    const stored = await storeArchive({
      body: object.Body as Readable,
      blobs,
      limits: config.limits,
      concurrency: config.uploadConcurrency,
      directory: record.directory,
      signal: watchdog.signal,
      counters,
      meter,
      deployId: staged.deployId,
      previousFiles: known.previousFiles,
    });
    watchdog.signal.throwIfAborted();
    const settings = record.settings ?? (stored.settingsFile ? parseSiteSettings(stored.settingsFile.name, stored.settingsFile.text) : {});
    if (stored.settingsFile) log.info(`Using settings from ${stored.settingsFile.name}`);
    const files = record.directory ? stored.files : selectDirectory(stored.files, settings.directory);
    const notFound = settings.notFound ?? "404.html";
    if (settings.notFound && !files[settings.notFound]) log.warn(`notFound page ${settings.notFound} is not in the deploy; plain 404s will be served`);
    const manifest: Manifest = {
      version: 1,
      siteId: staged.siteId,
      deployId: staged.deployId,
      stage: record.stage,
      commit: record.commit,
      createdAt: new Date().toISOString(),
      notFound: files[notFound] ? notFound : undefined,
      headers: settings.headers,
      redirects: settings.redirects,
      files,
    };
    const manifestKey = await writeManifest(clients.s3, config.buckets.sites, manifest);
    const stats = statsOf(counters, meter);
    log.info(`Stored ${stats.files} files: ${stats.uploadedBlobs} uploaded, ${stats.reusedBlobs} reused, ${stats.compressedFiles} gzip'd`);
    watchdog.signal.throwIfAborted();

    const published = await sites.publish({
      host: stageHostLabel(ref, record.stage),
      siteId: staged.siteId,
      stage: record.stage,
      deployId: staged.deployId,
      order: record.dispatchOrder,
      manifestKey,
      owner: record.owner,
    });
    switch (published) {
      case "published":
        log.info(`Live at ${url}`);
        // The site's old host (from the lossy labels) now redirects here; if this write fails, it keeps serving the previous version until the next deploy.
        await sites.retireLegacyHost(ref, record.stage).catch(() => undefined);
        return await finish({ status: "succeeded", stats, manifestKey, url });
      case "superseded":
        log.warn("A newer deploy of this stage went live first; this one stays in history");
        return await finish({ status: "superseded", reason: "deploy.superseded", reasonMessage: "A newer deploy of this branch went live while this one was running, so this one was not published. Nothing to do.", stats, manifestKey, url });
      case "owned_elsewhere":
        return await failWith(new HoistError("site.owned_elsewhere", "This site belongs to another Bitbucket installation, so the deploy was not published. Ask that workspace's admin, or rename the repository."), stats);
      case "host_conflict":
        return await failWith(new HoistError("site.host_conflict", `Another site or branch already uses the host ${stageHostLabel(ref, record.stage)}. Rename the branch or repository so their host names differ.`), stats);
    }
  } catch (err) {
    if (watchdog.signal.aborted && watchdog.signal.reason instanceof TimeBudgetExceeded) {
      // Lambda timeouts are whole seconds; the time left when the run started is just under it.
      const stopped = progress(`function timeout ${Math.ceil(remainingMs / 1000)} s (stopped at ${secondsOf(Date.now() - started)})`);
      const message = timeoutMessage(stopped);
      log.error(message);
      return await finish({ status: "timed_out", reason: "deploy.timed_out", reasonMessage: message, progress: stopped, stats: statsOf(counters, meter) });
    }
    return await failWith(err, statsOf(counters, meter));
  } finally {
    clearInterval(reporter);
    watchdog.stop();
  }

  async function failWith(err: unknown, stats: DeployStats): Promise<RunResult> {
    if (isHoistError(err)) {
      log.error(`${err.code}: ${err.message}`);
      return finish({ status: "failed", reason: err.code, reasonMessage: err.message, stats, progress: progress() });
    }
    logger.error({ err }, "deploy failed unexpectedly");
    const name = (err as Error)?.name ?? "Error";
    const message = `Hoist could not finish this deploy because of an internal error (${name}). The live site is unchanged; redeploy to try again, and tell the operator if it repeats.`;
    log.error(message);
    return finish({ status: "failed", reason: "deploy.internal", reasonMessage: message, stats, progress: progress() });
  }
}

/**
 * Applies a deploy directory that was learnt from the archive itself (git archives list `dist/`
 * before `hoist.json`, so it could not filter the stream): keep that folder's files, re-rooted.
 */
function selectDirectory(files: Record<string, ManifestFile>, directory: string | undefined): Record<string, ManifestFile> {
  if (!directory) return files;
  const prefix = `${directory}/`;
  const selected: Record<string, ManifestFile> = Object.create(null);
  for (const [path, file] of Object.entries(files)) {
    if (path.startsWith(prefix)) selected[path.slice(prefix.length)] = file;
  }
  if (Object.keys(selected).length === 0) {
    throw new HoistError("archive.empty", `The deploy directory ${JSON.stringify(directory)} named in the settings file has no files. Build the site into it, or fix 'directory'.`);
  }
  return selected;
}

function statsOf(c: StoreCounters, meter: ArchiveMeter): DeployStats {
  return {
    archiveBytes: meter.compressedBytes,
    originalBytes: c.originalBytes,
    storedBytes: c.storedBytes,
    uploadedBytes: c.uploadedBytes,
    files: c.filesDone,
    compressedFiles: c.compressedFiles,
    reusedBlobs: c.reusedBlobs,
    uploadedBlobs: c.uploadedBlobs,
  };
}

/** 1530 → "1.5 s", 58_400 → "58 s": short functions need the tenths to make sense. */
function secondsOf(ms: number): string {
  return ms < 10_000 ? `${(Math.floor(ms / 100) / 10).toFixed(1)} s` : `${Math.floor(ms / 1000)} s`;
}

function timeoutMessage(p: DeployProgress): string {
  const pct = p.archiveBytes ? Math.min(99, Math.floor((p.archiveBytesRead / p.archiveBytes) * 100)) : undefined;
  const where = pct !== undefined ? ` at ${pct}% of the archive` : "";
  return (
    `Timed out after ${secondsOf(p.elapsedMs ?? 0)}${where} (${p.filesDone} of ${p.filesSeen} files seen so far stored). ` +
    "The live site is unchanged. Deploy fewer or smaller files (set a build folder in hoist.json), or raise the function timeout (HOIST_LAMBDA_TIMEOUT)."
  );
}
