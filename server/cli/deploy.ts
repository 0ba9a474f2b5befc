import { createReadStream, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { ulid } from "ulid";
import { configToEnv, type Config } from "../../core/config.ts";
import { EMBEDDED_CREDENTIALS } from "../../core/aws.ts";
import { DeployRecords, FINAL_STATUSES, type DeployRecord } from "../../core/deploy-records.ts";
import { isHoistError } from "../../core/errors.ts";
import type { Logger } from "../../core/log.ts";
import { parseSiteId, PRODUCTION, siteId, stageUrl } from "../../core/site.ts";
import { LOCAL_TIMEOUT_METADATA, stagingKey } from "../../core/staging.ts";
import { openBackend } from "../backend.ts";
import { LocalLambda } from "../local/lambda-runner.ts";
import { connectStagingTrigger, expireIfAbandoned, s3Event } from "../local/staging-trigger.ts";
import { stageArchive } from "../deploys/stage-archive.ts";

export type DeployArgs = {
  archive: string;
  site: string;
  branch: string;
  stage?: string;
  commit?: string;
  timeoutSeconds: number;
  directory?: string;
};

/** The CLI's result line: one JSON object, the contract acceptance checks read. */
export type DeployResultLine = {
  deployId: string;
  status: string;
  reason: string | null;
  message: string | null;
  files: number;
  archiveBytes: number;
  originalBytes: number;
  storedBytes: number;
  uploadedBytes: number;
  reusedBlobs: number;
  durationMs: number;
  url: string;
  /** How often the deploy was handed on to a fresh run at the function's time limit. */
  continuations: number;
};

/**
 * `hoist deploy`: stage the archive exactly as the add-on does, then let the real handler run
 * under the local Lambda runner with the given function timeout. When another process owns the
 * embedded backend, exactly one deployer runs: `npm start`'s runner (it says so in backend.json;
 * this command then waits for the deploy's true outcome and prints the URL that server serves),
 * or this command's own when the owner runs none (`hoist serve`).
 */
export async function deployArchive(config: Config, logger: Logger, args: DeployArgs): Promise<DeployResultLine> {
  const ref = parseSiteId(args.site);
  const stage = args.stage ?? PRODUCTION;
  const backend = await openBackend(config, logger);
  const { clients } = backend;
  const records = new DeployRecords(clients.db, backend.config.tables.deploys);
  const deployId = ulid();
  const key = stagingKey(ref, deployId);
  // Beside `npm start`, the site is served where that server serves it, and its runner deploys what is staged.
  const url = stageUrl(ref, stage, backend.embedded?.ownerSitesDomain ?? backend.config.sitesDomain);
  const ownerDeploys = Boolean(backend.embedded?.ownerDeploys);
  const started = Date.now();

  const workerEnv = { ...configToEnv(backend.config), ...(backend.embedded ? { AWS_ACCESS_KEY_ID: EMBEDDED_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: EMBEDDED_CREDENTIALS.secretAccessKey } : {}) };
  const lambda = new LocalLambda({ env: workerEnv, timeoutSeconds: args.timeoutSeconds, logger, retryDelaysMs: [500, 1000] });
  if (!ownerDeploys) lambda.prewarm();
  const trigger = backend.embedded?.owner ? connectStagingTrigger({ backend: backend.embedded, lambda, s3: clients.s3, records, config: backend.config, logger }) : undefined;

  let runnerDone: Promise<unknown> | undefined;
  let runnerGaveUp = false;
  try {
    await records.createQueued({
      siteId: siteId(ref),
      deployId,
      stage,
      branch: args.branch,
      commit: args.commit ?? localCommitId(args.archive),
      trigger: "cli",
      stagingKey: key,
      directory: args.directory,
    });
    try {
      const { bytes } = await stageArchive({
        s3: clients.s3,
        bucket: backend.config.buckets.staging,
        key,
        body: createReadStream(args.archive),
        maxBytes: backend.config.limits.maxArchiveBytes,
        metadata: { [LOCAL_TIMEOUT_METADATA]: String(args.timeoutSeconds) },
      });
      if (!trigger && !ownerDeploys) {
        // No notification reaches this process: invoke as S3 would (real S3 URL-encodes keys in events).
        runnerDone = lambda
          .invokeAsync(s3Event({ eventName: "ObjectCreated:Put", bucket: backend.config.buckets.staging, key, size: bytes }, { encodeKey: !backend.embedded }), args.timeoutSeconds)
          .then(async (outcome) => {
            if (!outcome.ok) await expireIfAbandoned(records, key);
          });
      }
    } catch (err) {
      const reason = isHoistError(err) ? err.code : "fetch.failed";
      const message = isHoistError(err) ? err.message : `Staging the archive failed (${(err as Error).message}). Check the file and try again.`;
      await records.endQueued(siteId(ref), deployId, { status: "failed", reason, reasonMessage: message });
    }
    runnerDone ??= trigger?.settled(key);
    void runnerDone?.then(() => {
      runnerGaveUp = true;
    });
    const waitMs = (args.timeoutSeconds * 3 + 30) * 1000;
    const record = await waitForEnd(records, siteId(ref), deployId, waitMs, () => runnerGaveUp);
    // The run records its outcome, then tidies up (its staged archive): let it finish before the runner closes.
    if (runnerDone) await Promise.race([runnerDone, sleep(RUNNER_TIDY_MS)]);
    return resultLine(record, url, Date.now() - started);
  } finally {
    trigger?.disconnect();
    await lambda.close();
    await backend.close();
  }
}

/** How long a run that has recorded its outcome may take to finish its last steps. */
const RUNNER_TIDY_MS = 10_000;

/**
 * Polls the record until it ends, the runner has finished every attempt, or the wait runs out.
 * Each new run of the deploy (a continuation or a retry) starts the wait again.
 */
async function waitForEnd(records: DeployRecords, site: string, deployId: string, waitMs: number, runnerFinished: () => boolean): Promise<DeployRecord> {
  let until = Date.now() + waitMs;
  let runs = 0;
  for (;;) {
    const finished = runnerFinished();
    const record = await records.get(site, deployId);
    const seen = (record?.continuations ?? 0) + (record?.attempt ?? 0);
    if (seen > runs) {
      runs = seen;
      until = Date.now() + waitMs;
    }
    if (record && (FINAL_STATUSES.includes(record.status) || finished || Date.now() > until)) return record;
    await sleep(100);
  }
}

function resultLine(record: DeployRecord, url: string, wallMs: number): DeployResultLine {
  const stats = record.stats;
  const finalStatus = FINAL_STATUSES.includes(record.status);
  return {
    deployId: record.deployId,
    status: record.status,
    reason: record.reason ?? (finalStatus ? null : "deploy.timed_out"),
    message: record.reasonMessage ?? (finalStatus ? null : "The deployer did not finish in time and was stopped; the live site is unchanged."),
    files: stats?.files ?? 0,
    archiveBytes: stats?.archiveBytes ?? 0,
    originalBytes: stats?.originalBytes ?? 0,
    storedBytes: stats?.storedBytes ?? 0,
    uploadedBytes: stats?.uploadedBytes ?? 0,
    reusedBlobs: stats?.reusedBlobs ?? 0,
    durationMs: record.durationMs ?? wallMs,
    url: record.url ?? url,
    continuations: record.continuations ?? 0,
  };
}

/** A stand-in commit id for a local archive: stable for the same file, different when it changes. */
function localCommitId(path: string): string {
  const s = statSync(path);
  return createHash("sha1").update(`${path}:${s.size}:${s.mtimeMs}`).digest("hex");
}
