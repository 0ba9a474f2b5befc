import { ulid } from "ulid";
import type { DeployRecords } from "../../lambda/core/deploy-records.ts";
import type { Logger } from "../../lambda/core/log.ts";
import { PRODUCTION, SlugSchema, siteId as siteIdOf, stageHostLabel, type SiteRef } from "../../lambda/core/site.ts";
import type { Sites } from "../../lambda/core/sites.ts";
import { stagingKey } from "../../lambda/core/staging.ts";
import type { BitbucketClient, BitbucketCredentials } from "../bitbucket/client.ts";
import type { InstallVerifier } from "../connect/install-verification.ts";
import type { Installation, Installations } from "../connect/installations.ts";
import { branchOptedIn } from "../repo-config/hoist-config.ts";
import { loadRepoConfig } from "../repo-config/load-repo-config.ts";
import type { DeliveryDedupe } from "./delivery-dedupe.ts";
import type { DeployQueue } from "./deploy-queue.ts";
import { branchTips, type BranchTip, type PushPayload } from "./parse-push.ts";

/**
 * The work of one verified repo:push delivery, after Bitbucket has had its answer.
 * Connect (`handlePush`): installation active and verified? → repository in the installation's
 * workspace? → the shared part. Direct mode (server/direct) checks its own site and comes in at
 * `handleAuthorisedPush` with the site's repository access token. The shared part:
 *   per changed branch: repo config at the commit → which stage (production = the configured or
 *   main branch; others only when opted in) → first time for this delivery? → the stage belongs
 *   to this owner (claim) → deploy record `queued` → queue.
 * Deleted refs, tags and branches the site does not deploy are skipped with a logged reason.
 * A stranger's claim is refused before any record is written, so an owner's history only ever
 * holds its own deploys; a Connect installation and a direct site are always strangers
 * (their owner keys differ: clientKey vs `direct:<ws>/<repo>`).
 */

export type PushContext = { clientKey: string; deliveryId: string; payload: PushPayload; log: Logger };

/** Who a verified push deploys for, and with which credentials. */
export type PushAuthority = {
  /** Owner key written on deploy records and site stages (clientKey, or `direct:<ws>/<repo>`). */
  owner: string;
  credentials: BitbucketCredentials;
  /** An operator's allow-list on top of hoist.json (direct sites' `branches`); absent = no limit. */
  allowsBranch?: (branch: string) => boolean;
};

export type AuthorisedPush = { deliveryId: string; payload: PushPayload; log: Logger };

/** What the shared pipeline needs; the Connect entry adds installations and their verifier. */
export type PushPipelineDeps = {
  bitbucket: BitbucketClient;
  records: DeployRecords;
  sites: Sites;
  dedupe: DeliveryDedupe;
  queue: DeployQueue;
};

export type PushHandlerDeps = PushPipelineDeps & {
  installations: Installations;
  verifier: InstallVerifier;
  /**
   * Sites the operator configured for direct mode: Connect pushes for them are skipped, so who
   * owns such a site never depends on which of the two webhooks arrived first.
   */
  isDirectSite?: (siteId: string) => boolean;
};

export async function handlePush(deps: PushHandlerDeps, ctx: PushContext): Promise<void> {
  const { log } = ctx;
  const inst = await activeInstallation(deps, ctx.clientKey);
  if (!inst) return log.warn("push ignored: the installation is uninstalled or not verified");
  const ref = siteRefOf(ctx.payload.repository.full_name);
  const payloadWorkspace = ctx.payload.repository.workspace?.uuid;
  if (inst.workspaceUuid && payloadWorkspace && payloadWorkspace !== inst.workspaceUuid) {
    return log.warn({ siteId: ref ? siteIdOf(ref) : undefined }, "push ignored: the repository is not in the installation's workspace");
  }
  if (ref && deps.isDirectSite?.(siteIdOf(ref))) {
    return log.info({ siteId: siteIdOf(ref) }, "push ignored: this repository deploys in direct mode (HOIST_DIRECT_SITES_FILE), not through the Connect app");
  }
  await handleAuthorisedPush(deps, ctx, { owner: ctx.clientKey, credentials: inst });
}

/** The pipeline shared by Connect and direct pushes, once the caller has decided who may deploy. */
export async function handleAuthorisedPush(deps: PushPipelineDeps, ctx: AuthorisedPush, authority: PushAuthority): Promise<void> {
  const { log } = ctx;
  const ref = siteRefOf(ctx.payload.repository.full_name);
  if (!ref) return log.warn("push ignored: the repository name is not a Bitbucket slug");
  let mainBranch = ctx.payload.repository.mainbranch?.name;
  for (const decision of branchTips(ctx.payload)) {
    if (decision.kind === "skip") {
      log.info({ ref: decision.ref.slice(0, 200), why: decision.reason }, "change skipped");
      continue;
    }
    if (authority.allowsBranch && !authority.allowsBranch(decision.tip.branch)) {
      log.info({ branch: decision.tip.branch.slice(0, 200) }, "change skipped: the branch is not in this site's `branches` (HOIST_DIRECT_SITES_FILE)");
      continue;
    }
    mainBranch ??= await deps.bitbucket.mainBranch(authority.credentials, ref).catch(() => undefined);
    await deployTip(deps, ctx, authority, ref, decision.tip, mainBranch ?? "main");
  }
}

async function deployTip(deps: PushPipelineDeps, ctx: AuthorisedPush, authority: PushAuthority, ref: SiteRef, tip: BranchTip, mainBranch: string): Promise<void> {
  const log = ctx.log.child({ branch: tip.branch.slice(0, 200), commit: tip.commit });
  const repoConfig = await loadRepoConfig(deps.bitbucket, authority.credentials, ref, tip.commit);
  const productionBranch = repoConfig.ok ? (repoConfig.config.branch ?? mainBranch) : mainBranch;
  const stage = tip.branch === productionBranch ? PRODUCTION : repoConfig.ok && branchOptedIn(repoConfig.config, tip.branch) ? tip.branch : undefined;
  if (!stage) return log.info("change skipped: the site does not deploy this branch (add it to `branches` in hoist.json)");
  const siteId = siteIdOf(ref);
  if (!(await deps.dedupe.firstTime({ deliveryId: ctx.deliveryId, siteId, stage, commit: tip.commit }))) {
    return log.info("redelivery of a push already handled; nothing deployed");
  }
  const host = stageHostLabel(ref, stage);
  if (!(await deps.sites.claim({ host, siteId, stage, owner: authority.owner }))) {
    return log.warn({ host }, "push refused: this site belongs to another installation or direct site (or its host name is taken)");
  }
  const deployId = ulid();
  const record = await deps.records.createQueued({
    siteId,
    deployId,
    clientKey: authority.owner,
    stage,
    branch: tip.branch,
    commit: tip.commit,
    author: tip.author,
    message: tip.message,
    trigger: "push",
    stagingKey: stagingKey(ref, deployId),
    deliveryId: ctx.deliveryId,
    directory: repoConfig.ok ? repoConfig.config.directory : undefined,
    settings: repoConfig.ok ? repoConfig.config : undefined,
  });
  log.info({ deployId, stage }, "deploy queued");
  if (!repoConfig.ok) {
    const { code, message } = repoConfig.error;
    await deps.records.endQueued(siteId, deployId, { status: "failed", reason: code, reasonMessage: message, log: [{ t: new Date().toISOString(), level: "error", msg: `${code}: ${message}` }] });
    const failed = await deps.records.get(siteId, deployId);
    if (failed) await deps.queue.postStatus(failed);
    return log.warn({ deployId, reason: code }, "deploy failed: the repository's Hoist config is invalid");
  }
  await deps.queue.enqueue(record);
}

async function activeInstallation(deps: PushHandlerDeps, clientKey: string): Promise<Installation | undefined> {
  const inst = await deps.installations.get(clientKey);
  if (!inst || inst.state.status !== "installed") return undefined;
  if (inst.state.verified) return inst;
  return (await deps.verifier.verifyOnce(clientKey)) ? deps.installations.getActive(clientKey) : undefined;
}

function siteRefOf(fullName: string): SiteRef | undefined {
  const [workspace, repo] = fullName.split("/");
  const ws = SlugSchema.safeParse(workspace);
  const rp = SlugSchema.safeParse(repo);
  return ws.success && rp.success ? { workspace: ws.data, repo: rp.data } : undefined;
}
