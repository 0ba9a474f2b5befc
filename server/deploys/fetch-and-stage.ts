import type { Clients } from "../../core/aws.ts";
import type { Config } from "../../core/config.ts";
import type { DeployRecord, DeployRecords } from "../../core/deploy-records.ts";
import { isHoistError } from "../../core/errors.ts";
import type { Logger } from "../../core/log.ts";
import { parseSiteId } from "../../core/site.ts";
import type { BitbucketClient } from "../bitbucket/client.ts";
import { stageArchive } from "./stage-archive.ts";
import { isDirectOwner } from "../owners/direct-sites.ts";
import type { OwnerCredentials } from "../owners/owner-credentials.ts";

/**
 * Streams the commit's archive from Bitbucket into the staging bucket (no disk, bounded memory,
 * the compressed-size limit enforced mid-stream). Putting the object is what starts the deployer.
 * A download that fails, breaks off or stalls ends the deploy `failed` with its `fetch.*` reason
 * while it is still queued, so the live site never changes. Returns true when staged.
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
