import { DeleteObjectCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import type { Readable } from "node:stream";
import { ulid } from "ulid";
import type { Clients } from "../../core/aws.ts";
import type { Config } from "../../core/config.ts";
import { DeployRecords, type DeployProgress, type DeployRecord, type DeployRun, type DeployStats } from "../../core/deploy-records.ts";
import { HoistError, isHoistError } from "../../core/errors.ts";
import type { Logger } from "../../core/log.ts";
import { blobsOf, writeManifest, type Manifest, type ManifestFile } from "../../core/manifest.ts";
import { parseSiteSettings } from "../../core/site-settings.ts";
import { parseSiteId, stageHostLabel, stageUrl } from "../../core/site.ts";
import { Sites } from "../../core/sites.ts";
import type { ArchiveMeter } from "./archive-reader.ts";
import { BlobStore } from "./blob-store.ts";
import { checkpointPrefix } from "../../core/staging.ts";
import { CheckpointWriter, deleteCheckpoint, readCheckpoint, type CheckpointEntry, type CheckpointPlace } from "./checkpoint.ts";
import type { Continue } from "./continuation.ts";
import { DeployLog } from "./deploy-log.ts";
import { knownBlobs } from "./known-blobs.ts";
import { newCounters, storeArchive, type StoreCounters } from "./store-archive.ts";
import { startWatchdog, TimeBudgetExceeded } from "./watchdog.ts";

export type RunDeployDeps = { config: Config; clients: Clients; logger: Logger };
export type StagedObject = { bucket: string; key: string; siteId: string; deployId: string };
export type LambdaClock = { getRemainingTimeInMillis(): number };

export type RunResult =
  | { outcome: "finished"; record: DeployRecord }
  | { outcome: "continued"; continuation: number }
  | { outcome: "skipped"; why: "no_record" | "already_claimed" | "lost_claim" };

/** How a run is started: by the staged archive's S3 event, or as a continuation with its hand-off token. */
export type RunOptions = {
  /** The token of the hand-off this run continues (continuation.ts). */
  token?: string;
  /** Starts a continuation; without it, a run that runs out of time ends the deploy `timed_out`. */
  continueWith?: Continue;
};

/** Live progress and a checkpoint segment are written this often. */
const PROGRESS_EVERY_MS = 2000;
/**
 * A run's claim lasts this long past its last heartbeat (or to its deadline, if sooner): a run
 * killed without a word (out of memory, a crash) is taken over by Lambda's retry, which comes a
 * minute or more later, even when the function's timeout is 15 minutes.
 */
const LEASE_MS = 30_000;

/**
 * One deploy, from a staged archive to a live site:
 *   claim the record → stream the archive into blobs → write the manifest → flip the stage's
 *   pointer (one conditional write) → record the outcome.
 * The live site changes only at the pointer flip; every failure before it leaves the site as it was.
 */
export async function runDeploy(deps: RunDeployDeps, staged: StagedObject, clock: LambdaClock, opts: RunOptions = {}): Promise<RunResult> {
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
  const leaseMs = () => Math.min(clock.getRemainingTimeInMillis(), LEASE_MS);
  // A continuation takes the deploy with its token; failing that (its predecessor's hand-off was
  // already taken, or this is Lambda's retry of a continuation that was killed) it claims like any run.
  const claimed =
    (opts.token ? await records.claimHandedOff(staged.siteId, staged.deployId, { token: opts.token, runId, leaseMs: leaseMs() }) : null) ??
    (await records.claim(staged.siteId, staged.deployId, { runId, leaseMs: leaseMs() }));
  if (!claimed) {
    logger.info({ status: existing.status }, "deploy already taken by another run; nothing to do");
    return { outcome: "skipped", why: "already_claimed" };
  }
  const record: DeployRecord = claimed;

  const continuations = record.continuations ?? 0;
  // Whether an earlier run of this deploy may have stored files (a continuation, or a retry after a kill).
  const resuming = continuations > 0 || (record.attempt ?? 1) > 1;
  const log = new DeployLog(logger.child({ runId, attempt: record.attempt, continuation: continuations }), record.log);
  const watchdog = startWatchdog(remainingMs, config.timeoutMarginMs);
  const started = Date.now();
  const runStartedAt = new Date(started).toISOString();
  const counters = newCounters();
  const meter: ArchiveMeter = { compressedBytes: 0, uncompressedBytes: 0 };
  let archiveBytes: number | undefined;
  let skipMs = 0;
  let caughtUp = false;
  let checkpoint: CheckpointWriter | undefined;
  let place: CheckpointPlace | undefined;
  const runSummary = (ended: DeployRun["ended"]): DeployRun => ({
    run: (record.runs?.length ?? 0) + 1,
    startedAt: runStartedAt,
    elapsedMs: Date.now() - started,
    filesStored: counters.filesDone - counters.filesResumed,
    bytesStored: counters.bytesDone - counters.bytesResumed,
    filesResumed: counters.filesResumed,
    skipMs,
    archiveBytesRead: meter.compressedBytes,
    ended,
  });
  // Until a later run has re-read the archive up to where the earlier runs got, the deploy's
  // progress is theirs (counting from zero again would show it going backwards).
  const earlier = resuming ? record.progress : undefined;
  const progress = (limit?: string): DeployProgress =>
    earlier && !caughtUp ? { ...earlier, elapsedMs: Date.now() - started, limit } : current(limit);
  const current = (limit?: string): DeployProgress => ({
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
    void records.reportProgress(staged.siteId, staged.deployId, runId, progress(), leaseMs()).catch(() => undefined);
    // Work stored so far survives a kill: at most these few seconds are done again.
    void checkpoint?.flush().catch((err) => logger.warn({ err: (err as Error).message }, "could not write a checkpoint segment"));
  }, PROGRESS_EVERY_MS);

  const finish = async (outcome: Parameters<DeployRecords["finish"]>[3]): Promise<RunResult> => {
    // No checkpoint segment may land after the checkpoint is deleted below.
    clearInterval(reporter);
    await checkpoint?.settled();
    let ok: boolean;
    const run = continuations > 0 || (record.runs?.length ?? 0) > 0 ? runSummary("finished") : undefined;
    try {
      ok = await records.finish(staged.siteId, staged.deployId, runId, { ...outcome, startedAt: record.startedAt, log: log.toJSON(), run });
    } catch (err) {
      // The outcome could not be written: free the claim and let Lambda retry the whole run.
      await records.release(staged.siteId, staged.deployId, runId).catch(() => undefined);
      throw err;
    }
    if (!ok) {
      logger.warn("this run lost its claim on the deploy before finishing; its outcome was not recorded");
      return { outcome: "skipped", why: "lost_claim" };
    }
    // The deploy has its outcome: its staged archive and checkpoint are not needed again (gc sweeps them if this fails).
    await clients.s3.send(new DeleteObjectCommand({ Bucket: staged.bucket, Key: staged.key })).catch(() => undefined);
    await deleteCheckpoint({ s3: clients.s3, bucket: staged.bucket, prefix: checkpointPrefix(staged.key) }).catch(() => undefined);
    return { outcome: "finished", record: (await records.get(staged.siteId, staged.deployId))! };
  };

  const ref = parseSiteId(staged.siteId);
  const url = stageUrl(ref, record.stage, config.sitesDomain);
  try {
    if (continuations > 0) log.info(`Continuing (continuation ${continuations}, attempt ${record.attempt ?? 1})`);
    else log.info(`Deploying ${record.commit.slice(0, 12)} of ${record.branch} (attempt ${record.attempt ?? 1})`);
    if (continuations > 0 && (await supersededNow(sites, ref, record))) {
      log.warn("A newer deploy of this stage went live while this one was being continued; it stops here");
      return await finish({ status: "superseded", reason: "deploy.superseded", reasonMessage: "A newer deploy of this branch went live while this one was running, so this one was not published. Nothing to do.", stats: statsOf(counters, meter) });
    }
    const known = await knownBlobs(clients.s3, config.buckets.sites, sites, staged.siteId, record.stage, logger);
    const object = await clients.s3.send(new GetObjectCommand({ Bucket: staged.bucket, Key: staged.key }), { abortSignal: watchdog.signal });
    archiveBytes = object.ContentLength;
    if (archiveBytes !== undefined && archiveBytes > config.limits.maxArchiveBytes) {
      throw new HoistError("limits.archive_too_large", `The archive is ${archiveBytes} bytes compressed; the limit is ${config.limits.maxArchiveBytes}. Make the site smaller or raise HOIST_MAX_ARCHIVE_BYTES.`, { limit: config.limits.maxArchiveBytes });
    }
    let resume: Map<number, CheckpointEntry> | undefined;
    if (object.ETag) {
      place = { s3: clients.s3, bucket: staged.bucket, prefix: checkpointPrefix(staged.key), deployId: staged.deployId, archiveEtag: object.ETag };
      checkpoint = new CheckpointWriter(place, runId);
      if (resuming) {
        const found = await readCheckpoint(place);
        resume = found.entries;
        // Blobs earlier runs stored count as known: a duplicate of one later in the archive is not uploaded again.
        for (const entry of resume.values()) for (const blob of blobsOf(entry.file)) known.sizes.set(blob.key, blob.storedSize);
        log.info(`Picking up ${found.entries.size} files stored by earlier runs${found.ignored > 0 ? ` (${found.ignored} checkpoint segments of another archive or unreadable, ignored)` : ""}`);
      }
    }
    const blobs = new BlobStore(clients.s3, config.buckets.sites, staged.siteId, known.sizes, watchdog.signal);
    const stored = await storeArchive({
      body: object.Body as Readable,
      blobs,
      limits: config.limits,
      concurrency: config.uploadConcurrency,
      brotliQuality: config.brotliQuality,
      directory: record.directory,
      signal: watchdog.signal,
      // Only a run that can hand on stops reading early; one that cannot reads until the end.
      stopReading: opts.continueWith && continuations < config.maxContinuations ? watchdog.stopReading : undefined,
      counters,
      meter,
      tempPrefix: `${staged.deployId}/${runId}`,
      previousFiles: known.previousFiles,
      resume,
      onStored: (entry) => checkpoint?.add(entry),
      onCaughtUp: () => {
        caughtUp = true;
        skipMs = Date.now() - started;
      },
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
    if (err instanceof TimeBudgetExceeded || (watchdog.signal.aborted && watchdog.signal.reason instanceof TimeBudgetExceeded)) {
      // Lambda timeouts are whole seconds; the time left when the run started is just under it.
      const stopped = progress(`function timeout ${Math.ceil(remainingMs / 1000)} s (stopped at ${secondsOf(Date.now() - started)})`);
      const handedOff = await continueLater(stopped);
      if (handedOff) return handedOff;
      const message = timeoutMessage(stopped, continuations, stuckReason());
      log.error(message);
      return await finish({ status: "timed_out", reason: "deploy.timed_out", reasonMessage: message, progress: stopped, stats: statsOf(counters, meter) });
    }
    return await failWith(err, statsOf(counters, meter));
  } finally {
    clearInterval(reporter);
    watchdog.stop();
  }

  /** Why another continuation would not get further, if it would not. */
  function stuckReason(): string | undefined {
    if (!opts.continueWith || !checkpoint) return undefined;
    if (config.maxContinuations === 0) return "continuing deploys in new runs is turned off (HOIST_MAX_CONTINUATIONS=0)";
    if (continuations >= config.maxContinuations) return `it was already continued ${continuations} ${continuations === 1 ? "time" : "times"}, the limit (HOIST_MAX_CONTINUATIONS)`;
    // One run without progress may be bad luck (a slow moment); two in a row will not get better.
    const previous = record.runs?.at(-1);
    const stalled = (run: { filesStored: number } | undefined) => run !== undefined && run.filesStored === 0;
    if (counters.filesDone - counters.filesResumed > 0 || !stalled(previous)) return undefined;
    if (!caughtUp) return "re-reading the archive up to where the previous runs stopped took two runs' whole time";
    return "two runs in a row stored no file (a single file takes longer than the function's time limit)";
  }

  /**
   * At the time limit: save the checkpoint, hand the deploy to a continuation and start it.
   * Undefined when the deploy must end `timed_out` instead (no way to continue, the limit of
   * continuations, no progress), or when the hand-off could not be written.
   */
  async function continueLater(stopped: DeployProgress): Promise<RunResult | undefined> {
    if (!opts.continueWith || !checkpoint || stuckReason()) return undefined;
    const next = continuations + 1;
    try {
      await checkpoint.flush();
      if (await supersededNow(sites, ref, record)) return undefined;
    } catch (err) {
      logger.warn({ err: (err as Error).message }, "could not save the checkpoint; ending the deploy instead of continuing");
      return undefined;
    }
    const token = ulid();
    const summary = runSummary("continued");
    log.info(`Stored ${summary.filesStored} files in this run (${counters.filesDone} so far); continuing in a new run (continuation ${next})`);
    const handed = await records.handOff(staged.siteId, staged.deployId, runId, { token, leaseMs: clock.getRemainingTimeInMillis(), progress: stopped, run: summary, log: log.toJSON() });
    if (!handed) {
      logger.warn("this run lost its claim on the deploy before handing it off");
      return { outcome: "skipped", why: "lost_claim" };
    }
    try {
      await opts.continueWith({ hoist: "continue-deploy", bucket: staged.bucket, key: staged.key, siteId: staged.siteId, deployId: staged.deployId, token, continuation: next });
    } catch (err) {
      // Nobody will take the hand-off: end the deploy in the continuation's name (its token holds the claim).
      logger.error({ err: (err as Error).message }, "could not start the continuation");
      const message = `The deploy needed more time than one run of the deployer, and starting the next run failed (${(err as Error).name}). The live site is unchanged; redeploy to try again.`;
      await records.finish(staged.siteId, staged.deployId, token, { status: "timed_out", reason: "deploy.timed_out", reasonMessage: message, progress: stopped, stats: statsOf(counters, meter), startedAt: record.startedAt }).catch(() => undefined);
      return { outcome: "skipped", why: "lost_claim" };
    }
    return { outcome: "continued", continuation: next };
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

/** Whether a newer deploy of this stage has gone live since this one was dispatched. */
async function supersededNow(sites: Sites, ref: ReturnType<typeof parseSiteId>, record: DeployRecord): Promise<boolean> {
  const live = await sites.get(stageHostLabel(ref, record.stage));
  return Boolean(live?.publishedOrder && live.publishedOrder > (record.dispatchOrder ?? record.deployId));
}

function timeoutMessage(p: DeployProgress, continuations: number, stuck?: string): string {
  const pct = p.archiveBytes ? Math.min(99, Math.floor((p.archiveBytesRead / p.archiveBytes) * 100)) : undefined;
  const where = pct !== undefined ? ` at ${pct}% of the archive` : "";
  const runs = continuations > 0 ? ` in its run ${continuations + 1}` : "";
  const why = stuck ? ` It was not continued again: ${stuck}.` : "";
  return (
    `Timed out after ${secondsOf(p.elapsedMs ?? 0)}${runs}${where} (${p.filesDone} of ${p.filesSeen} files seen so far stored).${why} ` +
    "The live site is unchanged. Deploy fewer or smaller files (set a build folder in hoist.json), or raise the function timeout (HOIST_LAMBDA_TIMEOUT)."
  );
}
