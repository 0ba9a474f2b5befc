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
 * A download that fails, breaks off or stalls ends the deploy `failed` with its `fetch.*` reason
 * while it is still queued, so the live site never changes; a push whose branch has moved on
 * ends `superseded` before anything is fetched (branchMovedOn). Returns true when staged.
 */
export async function fetchAndStage(
  deps: { config: Config; clients: Clients; records: DeployRecords; credentials: OwnerCredentials; bitbucket: BitbucketClient; logger: Logger },
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
    deps.logger.info({ bytes, ms: Date.now() - started }, "archive staged");
    return true;
  } catch (err) {
    if (isHoistError(err)) return fail(err.code, err.message);
    deps.logger.error({ err }, "staging the archive failed");
    return fail("deploy.storage_failed", "Hoist could not store the commit's archive for deploying. The live site is unchanged; redeploy to try again.");
  }
}

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
