import { setTimeout as sleep } from "node:timers/promises";
import { ulid } from "ulid";
import type { DeployRecord, DeployRecords, DeployTrigger } from "../../core/deploy-records.ts";
import type { Logger } from "../../core/log.ts";
import { PRODUCTION, siteId as siteIdOf, stageHostLabel, type SiteRef } from "../../core/site.ts";
import { branchOptedIn } from "../../core/site-settings.ts";
import type { Sites } from "../../core/sites.ts";
import { stagingKey } from "../../core/staging.ts";
import type { BitbucketClient, BitbucketCredentials } from "../bitbucket/client.ts";
import type { DeployQueue } from "./deploy-queue.ts";
import { readSiteSettings } from "./read-settings.ts";

/**
 * THE way a deploy is created, whatever asked for it (a Connect push, a direct-mode push, the
 * panel's redeploy; the dashboard and Forge later). The caller has authenticated the request and
 * decided who it deploys for (the owner) and with which credentials; from there, in order:
 *   1. the repository's settings at the commit (hoist.json / hoist.yml / hoist.yaml);
 *   2. the stage: production for the production branch (settings `branch`, else the repository's
 *      main branch), the branch's own stage when settings `branches` opts it in, else nothing;
 *   3. once per push: a redelivered or replayed webhook (same branch moving from the same commit
 *      to the same commit) deploys nothing (DeployRecords.firstDelivery);
 *   4. the stage belongs to this owner (claim): a stranger's request writes no record;
 *   5. the deploy record, `queued`, carrying the settings and the deploy directory;
 *   6. settings that cannot be read or are invalid end the record `failed` with their reason and
 *      post that build status; otherwise the queue takes it (INPROGRESS status, then the stage's
 *      queue runs the newest queued deploy).
 * Settings that cannot be read (Bitbucket failing, after retries) or are invalid cannot say which
 * branches they opt in: the push is still recorded — failed, with that reason, on production for
 * the main branch and on the branch's own stage otherwise — so every accepted push shows up.
 */

export type QueueDeployDeps = {
  bitbucket: BitbucketClient;
  records: DeployRecords;
  sites: Sites;
  queue: DeployQueue;
};

export type DeployRequest = {
  ref: SiteRef;
  /** Owner key written on the record and claimed on the stage (docs/architecture.md, "Owners"). */
  owner: string;
  credentials: BitbucketCredentials;
  branch: string;
  commit: string;
  /** The repository's main branch; resolveMainBranch() finds it when the caller does not know it. */
  mainBranch: string;
  trigger: DeployTrigger;
  author?: string;
  message?: string;
  /** Pushes: the webhook delivery id (X-Request-UUID, for the record and logs) and the commit the branch moved from. */
  deliveryId?: string;
  previous?: string;
  log: Logger;
};

/** Why nothing was written: `deploy.branch_not_deployed`, `deploy.redelivery`, `site.owned_elsewhere`, or the settings' own error code. */
export type NotQueued = { code: string; message: string };

export type QueueResult =
  | { kind: "queued"; deploy: DeployRecord }
  /** Recorded, and ended at once (its settings could not be read or are invalid). */
  | { kind: "failed"; deploy: DeployRecord }
  /** Nothing was written. */
  | ({ kind: "not_queued" } & NotQueued);

export async function queueDeploy(deps: QueueDeployDeps, request: DeployRequest): Promise<QueueResult> {
  const { ref, log } = request;
  const read = await readSettingsRetrying(deps, request);
  const settings = read.ok ? read.settings : undefined;
  const productionBranch = settings?.branch ?? request.mainBranch;
  // Settings that could not be used cannot say whether a branch is opted in: the push is recorded
  // (failed, with the real reason) on the stage it names, so no accepted push goes unseen.
  const stage = request.branch === productionBranch ? PRODUCTION : !settings || branchOptedIn(settings, request.branch) ? request.branch : undefined;
  if (!stage) {
    return notQueued(log, "deploy.branch_not_deployed", `The site does not deploy the branch "${request.branch.slice(0, 200)}": add it to \`branches\` in hoist.json to give it a stage.`);
  }
  const siteId = siteIdOf(ref);
  if (request.trigger === "push" && !(await deps.records.firstDelivery({ siteId, stage, previous: request.previous, commit: request.commit }))) {
    return notQueued(log, "deploy.redelivery", "This push was already handled (a redelivered or replayed webhook); nothing was deployed again.");
  }
  const host = stageHostLabel(ref, stage);
  if (!(await deps.sites.claim({ host, siteId, stage, owner: request.owner }))) {
    return notQueued(log, "site.owned_elsewhere", "This site belongs to another installation or direct site (or another stage uses its host name), so nothing was deployed.");
  }
  const deployId = ulid();
  const record = await deps.records.createQueued({
    siteId,
    deployId,
    owner: request.owner,
    stage,
    branch: request.branch,
    commit: request.commit,
    author: request.author,
    message: request.message,
    trigger: request.trigger,
    stagingKey: stagingKey(ref, deployId),
    deliveryId: request.deliveryId,
    directory: settings?.directory,
    settings,
  });
  log.info({ deployId, stage, trigger: request.trigger }, "deploy queued");
  if (!read.ok) {
    const { code, message } = read.error;
    await deps.records.endQueued(siteId, deployId, { status: "failed", reason: code, reasonMessage: message, log: [{ t: new Date().toISOString(), level: "error", msg: `${code}: ${message}` }] });
    const failed = (await deps.records.get(siteId, deployId)) ?? record;
    if (code === "fetch.unauthorized") await deps.queue.noteCredentials(siteId, message);
    await deps.queue.postStatus(failed);
    log.warn({ deployId, reason: code }, `deploy failed before it started: ${code === "config.invalid" ? "the repository's settings file is invalid" : "its settings could not be read from Bitbucket"}`);
    return { kind: "failed", deploy: failed };
  }
  await deps.queue.enqueue(record);
  return { kind: "queued", deploy: (await deps.records.get(siteId, deployId)) ?? record };
}

/** Bitbucket's transient failures reading the settings file are tried again after these delays. */
const SETTINGS_RETRY_DELAYS_MS = [500, 1500];

async function readSettingsRetrying(deps: QueueDeployDeps, request: DeployRequest) {
  for (let attempt = 0; ; attempt++) {
    const read = await readSiteSettings(deps.bitbucket, request.credentials, request.ref, request.commit);
    const delay = SETTINGS_RETRY_DELAYS_MS[attempt];
    if (read.ok || read.error.code !== "fetch.failed" || delay === undefined) return read;
    request.log.warn({ reason: read.error.code, attempt: attempt + 1 }, "reading the settings file failed; retrying");
    await sleep(delay);
  }
}

/** The repository's main branch: the one the caller knows (a push payload names it), else Bitbucket's answer, else "main". */
export async function resolveMainBranch(bitbucket: BitbucketClient, credentials: BitbucketCredentials, ref: SiteRef, known?: string): Promise<string> {
  if (known) return known;
  return (await bitbucket.mainBranch(credentials, ref).catch(() => undefined)) ?? "main";
}

function notQueued(log: Logger, code: string, message: string): QueueResult {
  log[code === "site.owned_elsewhere" ? "warn" : "info"]({ code }, `not deployed: ${message}`);
  return { kind: "not_queued", code, message };
}
