import { setTimeout as sleep } from "node:timers/promises";
import type { Clients } from "../../core/aws.ts";
import type { Config } from "../../core/config.ts";
import type { DeployRecord, DeployRecords } from "../../core/deploy-records.ts";
import { isHoistError } from "../../core/errors.ts";
import type { Logger } from "../../core/log.ts";
import { parseSiteId } from "../../core/site.ts";
import type { BitbucketClient, BitbucketCredentials } from "../bitbucket/client.ts";
import { stageArchive } from "./stage-archive.ts";
import { isDirectOwner } from "../owners/direct-sites.ts";
import type { OwnerCredentials } from "../owners/owner-credentials.ts";

/**
 * Streams the commit's archive from Bitbucket into the staging bucket (no disk, bounded memory,
 * the compressed-size limit enforced mid-stream). Putting the object is what starts the deployer.
 * The record shows the download while it runs (phase `downloading`). A download that fails with
 * a 5xx, breaks off or stalls is tried again (FETCH_RETRY_DELAYS_MS); then, or at once for a 401,
 * 404 or a limit, the deploy ends `failed` with its `fetch.*` reason (saying how often it was
 * tried) while it is still queued, so the live site never changes; a push whose branch has moved on
 * ends `superseded` before anything is fetched (branchMovedOn). Returns true when staged.
 */
export async function fetchAndStage(
  deps: {
    config: Config;
    clients: Clients;
    records: DeployRecords;
    credentials: OwnerCredentials;
    bitbucket: BitbucketClient;
    logger: Logger;
    fetchRetryDelaysMs?: number[];
    /** Bitbucket refused (or, `message` undefined, accepted again) the site's credentials: the dashboard says so. */
    noteCredentials?: (siteId: string, message: string | undefined) => Promise<void>;
  },
  record: DeployRecord,
): Promise<boolean> {
  const fail = async (reason: string, message: string) => {
    deps.logger.warn({ reason }, "deploy failed before the deployer started");
    await deps.records.endQueued(record.siteId, record.deployId, {
      status: "failed",
      reason,
      reasonMessage: message,
      log: [{ t: new Date().toISOString(), level: "error", msg: `${reason}: ${message}` }],
    });
    return false;
  };
  const inst = record.owner ? await deps.credentials.forDeploy(record.owner) : undefined;
  if (!inst) {
    return fail(
      "fetch.unauthorized",
      record.owner && isDirectOwner(record.owner)
        ? "This site is no longer configured for direct mode (HOIST_DIRECT_SITES_FILE), so Hoist cannot fetch the commit. Add it back and push again."
        : "Hoist is not installed (or not yet verified) in this workspace any more, so it cannot fetch the commit. Reinstall Hoist and push again.",
    );
  }
  const moved = record.trigger === "push" ? await branchMovedOn(deps, inst, record) : undefined;
  if (moved) {
    deps.logger.info({ reason: "deploy.superseded" }, "push not deployed: its commit is no longer the branch's tip");
    await deps.records.endQueued(record.siteId, record.deployId, { status: "superseded", reason: "deploy.superseded", reasonMessage: moved, log: [{ t: new Date().toISOString(), level: "info", msg: moved }] });
    return false;
  }
  await deps.records.markDownloading(record.siteId, record.deployId);
  const tried: string[] = [];
  for (let attempt = 1; ; attempt++) {
    const started = Date.now();
    try {
      const body = await deps.bitbucket.archive(inst, parseSiteId(record.siteId), record.commit);
      const { bytes } = await stageArchive({
        s3: deps.clients.s3,
        bucket: deps.config.buckets.staging,
        key: record.stagingKey,
        body,
        maxBytes: deps.config.limits.maxArchiveBytes,
      });
      deps.logger.info({ bytes, ms: Date.now() - started, attempt }, "archive staged");
      await deps.noteCredentials?.(record.siteId, undefined);
      return true;
    } catch (err) {
      if (!isHoistError(err)) {
        deps.logger.error({ err }, "staging the archive failed");
        return fail("deploy.storage_failed", "Hoist could not store the commit's archive for deploying. The live site is unchanged; redeploy to try again.");
      }
      const delay = (deps.fetchRetryDelaysMs ?? FETCH_RETRY_DELAYS_MS)[attempt - 1];
      if (err.code === "fetch.unauthorized") await deps.noteCredentials?.(record.siteId, err.message);
      if (!TRANSIENT.has(err.code) || delay === undefined) {
        const retried = tried.length > 0 ? ` (tried ${tried.length + 1} times: ${[...tried, err.code].join(", ")})` : "";
        return fail(err.code, `${err.message}${retried}`);
      }
      tried.push(err.code);
      deps.logger.warn({ reason: err.code, attempt, retryInMs: delay }, "archive download failed; retrying");
      await sleep(delay);
    }
  }
}

/** Bitbucket's transient failures (5xx, a reset, a stall): the download is tried again after these delays. */
const FETCH_RETRY_DELAYS_MS = [1000, 3000];
const TRANSIENT = new Set(["fetch.failed", "fetch.stalled"]);

/**
 * A push deploys only what is still true: its commit must still be the branch's tip when the
 * deploy starts. A late or replayed delivery of an older push would otherwise put an older commit
 * live over a newer one. Says why when the branch has moved on (or is gone); when Bitbucket
 * cannot say, the deploy goes ahead (the push itself was authenticated).
 */
async function branchMovedOn(deps: { bitbucket: BitbucketClient; logger: Logger }, creds: BitbucketCredentials, record: DeployRecord): Promise<string | undefined> {
  let tip: string | undefined;
  try {
    tip = await deps.bitbucket.branchTip(creds, parseSiteId(record.siteId), record.branch);
  } catch (err) {
    deps.logger.warn({ err: (err as Error).message }, "could not read the branch's tip; deploying the pushed commit");
    return undefined;
  }
  if (tip === record.commit) return undefined;
  const branch = record.branch.slice(0, 200);
  return tip
    ? `The branch ${branch} has moved on to ${tip.slice(0, 12)} since this push, so ${record.commit.slice(0, 12)} was not deployed; the newer push deploys instead.`
    : `The branch ${branch} no longer exists, so ${record.commit.slice(0, 12)} was not deployed.`;
}
