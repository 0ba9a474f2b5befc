import type { Logger } from "../../core/log.ts";
import { SlugSchema, siteId as siteIdOf, type SiteRef } from "../../core/site.ts";
import type { InstallVerifier } from "../addon/install-verification.ts";
import type { Installation, Installations } from "../addon/installations.ts";
import type { BitbucketCredentials } from "../bitbucket/client.ts";
import { queueDeploy, resolveMainBranch, type QueueDeployDeps } from "../deploys/queue-deploy.ts";
import { branchTips, type BranchTip, type PushPayload } from "./parse-push.ts";

/**
 * The work of one verified repo:push delivery, after Bitbucket has had its answer.
 * Connect (`handlePush`): installation active and verified? → repository in the installation's
 * workspace? → the shared part. Direct mode (direct-webhook.ts) checks its own site and comes in
 * at `handleAuthorisedPush` with the site's repository access token. The shared part: each
 * changed branch tip goes to queueDeploy() (deploys/queue-deploy.ts), which decides the stage,
 * refuses redeliveries and strangers, and records and queues the deploy. Deleted refs and tags
 * are skipped here, with a logged reason. A Connect installation and a direct site are always
 * strangers to each other (their owner keys differ: clientKey vs `direct:<ws>/<repo>`).
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
export type PushPipelineDeps = QueueDeployDeps;

export type PushHandlerDeps = PushPipelineDeps & {
  installations: Installations;
  verifier: InstallVerifier;
  /**
   * Sites the operator configured for direct mode: Connect pushes for them are skipped, so who
   * owns such a site never depends on which of the two webhooks arrived first.
   */
  isDirectSite?: (siteId: string) => Promise<boolean>;
};

export async function handlePush(deps: PushHandlerDeps, ctx: PushContext): Promise<void> {
  const { log } = ctx;
  const inst = await activeInstallation(deps, ctx.clientKey);
  if (!inst) return log.warn("push ignored: the installation is uninstalled or not verified");
  const ref = siteRefOf(ctx.payload.repository.full_name);
  if (!ref || !inOwnWorkspace(inst, ref, ctx.payload)) {
    return log.warn("push ignored: the repository is not in the installation's own workspace");
  }
  if (await deps.isDirectSite?.(siteIdOf(ref))) {
    return log.info({ siteId: siteIdOf(ref) }, "push ignored: this repository deploys in direct mode (HOIST_DIRECT_SITES_FILE), not through the Connect app");
  }
  await handleAuthorisedPush(deps, ctx, { owner: ctx.clientKey, credentials: inst });
}

/**
 * A Connect installation deploys only its own workspace's repositories. The workspace is the one
 * Bitbucket named when it installed Hoist (`principal` of the install payload): the body must
 * carry that workspace's UUID, and its repository name must be under that workspace's slug, so a
 * signed body can never name another team's repository.
 */
export function inOwnWorkspace(inst: Installation, ref: SiteRef, payload: PushPayload): boolean {
  if (!inst.workspaceUuid || !inst.workspaceSlug) return false;
  return payload.repository.workspace?.uuid === inst.workspaceUuid && ref.workspace === inst.workspaceSlug.toLowerCase();
}

/**
 * At most this many branches of one delivery are deployed (each costs Bitbucket calls and a
 * deploy): a signed delivery naming a thousand branches must not cost a thousand settings reads.
 * The main branch goes first, so production is never the one skipped.
 */
export const MAX_BRANCHES_PER_PUSH = 20;

/** The pipeline shared by Connect and direct pushes, once the caller has decided who may deploy. */
export async function handleAuthorisedPush(deps: PushPipelineDeps, ctx: AuthorisedPush, authority: PushAuthority): Promise<void> {
  const { log } = ctx;
  const ref = siteRefOf(ctx.payload.repository.full_name);
  if (!ref) return log.warn("push ignored: the repository name is not a Bitbucket slug");
  const tips: BranchTip[] = [];
  for (const decision of branchTips(ctx.payload)) {
    if (decision.kind === "skip") log.info({ ref: decision.ref.slice(0, 200), why: decision.reason }, "change skipped");
    else if (authority.allowsBranch && !authority.allowsBranch(decision.tip.branch)) {
      log.info({ branch: decision.tip.branch.slice(0, 200) }, "change skipped: the branch is not in this site's `branches` (HOIST_DIRECT_SITES_FILE)");
    } else tips.push(decision.tip);
  }
  if (tips.length === 0) return;
  const mainBranch = await resolveMainBranch(deps.bitbucket, authority.credentials, ref, ctx.payload.repository.mainbranch?.name);
  tips.sort((a, b) => Number(b.branch === mainBranch) - Number(a.branch === mainBranch));
  if (tips.length > MAX_BRANCHES_PER_PUSH) {
    log.warn({ branches: tips.length, deployed: MAX_BRANCHES_PER_PUSH }, `push changes more branches than one delivery may deploy; only the first ${MAX_BRANCHES_PER_PUSH} are considered`);
  }
  for (const tip of tips.slice(0, MAX_BRANCHES_PER_PUSH)) {
    await queueDeploy(deps, {
      ref,
      owner: authority.owner,
      credentials: authority.credentials,
      branch: tip.branch,
      commit: tip.commit,
      mainBranch,
      trigger: "push",
      author: tip.author,
      message: tip.message,
      deliveryId: ctx.deliveryId,
      previous: tip.previous,
      log: log.child({ branch: tip.branch.slice(0, 200), commit: tip.commit }),
    });
  }
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
