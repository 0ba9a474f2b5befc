import express, { type Request, type Response, type Router } from "express";
import { z } from "zod";
import type { Logger } from "../../core/log.ts";
import { siteId as siteIdOf } from "../../core/site.ts";
import { BitbucketError, type BitbucketClient, type ForgeToken } from "../bitbucket/client.ts";
import type { PushPayload } from "../push/parse-push.ts";
import { handleAuthorisedPush, type PushPipelineDeps } from "../push/push-handler.ts";
import { headerOf, NOT_JSON, openDelivery, parseJson, readBody } from "../push/read-delivery.ts";
import { type ForgeRoutes, INSTALLED_EVENT, PUSH_EVENT, UNINSTALLED_EVENT } from "./app-manifest.ts";
import { FitError, type Fit, type FitVerifier } from "./fit.ts";
import { forgeOwnerKey } from "./owner.ts";
import type { ProductTokens } from "./product-tokens.ts";
import { RepositoryJson, repositoryPath } from "./repository.ts";
import type { ForgeStore, KnownRepository } from "./store.ts";

/**
 * Forge's events to Hoist, at the paths forge/manifest.yml names (app-manifest.ts). In order:
 *   1. body capped at 256 KB → 413;
 *   2. the FIT (fit.ts) → else 401; its installation bound to its workspace (store.ts) → else 403;
 *      nothing of the body is parsed before this;
 *   3. push: the event's workspace must be the FIT's → else 403, nothing recorded; not JSON or not
 *      a push event → 400; answered 200 at once (Forge waits 5 s and retries 4 times);
 *   4. then, after the answer: the repository's slug from its UUID (Bitbucket, with the system
 *      token Forge sent), and the same pipeline as Connect pushes with owner `forge:<installation>`.
 * A retried event finds its push already recorded (repository + branch + new commit) and deploys
 * nothing more. docs/forge.md.
 */

const Uuid = z.string().regex(/^\{[0-9a-f-]{36}\}$/i);
const Hash = z.string().regex(/^[0-9a-f]{7,64}$/i);
const PushEvent = z.object({
  eventType: z.literal(PUSH_EVENT),
  workspace: z.object({ uuid: Uuid }),
  repository: z.object({ uuid: Uuid }),
  ref: z.union([z.object({ type: z.string().max(40).default("branch"), name: z.string().min(1).max(1000) }), z.string().min(1).max(1000)]),
  before: Hash.nullish(),
  after: Hash.nullish(),
  truncated: z.boolean().optional(),
  forced: z.boolean().optional(),
  commits: z.array(z.object({ hash: Hash, message: z.string().max(100_000).optional() })).max(1000).default([]),
});
type PushEvent = z.infer<typeof PushEvent>;
const Lifecycle = z.object({ eventType: z.enum([INSTALLED_EVENT, UNINSTALLED_EVENT]) });

export type ForgeEventDeps = {
  routes: ForgeRoutes;
  verifier: FitVerifier;
  store: ForgeStore;
  tokens: ProductTokens;
  bitbucket: BitbucketClient;
  pipeline: PushPipelineDeps;
  logger: Logger;
  schedule: (task: () => Promise<void>) => void;
  /** A repository deployed in direct mode or connected on the dashboard is not the Forge app's. */
  isDirectSite: (siteId: string) => Promise<boolean>;
};

export function forgeEventsRouter(deps: ForgeEventDeps): Router {
  const router = express.Router();

  /** Steps 1–2; undefined once the request has been answered. */
  const open = async (req: Request, res: Response) => {
    const delivery = openDelivery(req, res, deps.logger, { mode: "forge", traceId: headerOf(req, "x-b3-traceid") });
    const body = await readBody(req, res, delivery);
    if (!body) return undefined;
    let fit: Fit;
    try {
      fit = await deps.verifier.verify(req.get("authorization"));
    } catch (err) {
      delivery.log.warn({ why: err instanceof FitError ? err.message : "error" }, "Forge event refused: the invocation token does not verify");
      delivery.refuse(401, "auth.invalid", `Forge invocation refused: ${err instanceof FitError ? err.message : "the token could not be verified"}.`);
      return undefined;
    }
    const installation = await deps.store.bind(fit);
    const log = delivery.log.child({ installationId: fit.installationId });
    if (!installation) {
      log.warn("Forge event refused: the installation belongs to another workspace");
      delivery.refuse(403, "auth.wrong_workspace", "This Forge installation belongs to another workspace.");
      return undefined;
    }
    return { delivery: { ...delivery, log }, body, fit, installation };
  };

  router.post(deps.routes.pushPath, async (req, res) => {
    const opened = await open(req, res);
    if (!opened) return;
    const { delivery, body, fit, installation } = opened;
    const json = parseJson(body);
    const event = json === NOT_JSON ? undefined : PushEvent.safeParse(json);
    if (!event?.success) {
      delivery.log.warn({ problem: event?.error.issues[0]?.path.join(".") ?? "not JSON" }, "Forge event refused: not a push event");
      return delivery.refuse(400, "webhook.malformed", `The Forge push event is not valid (${event?.error.issues[0] ? `${event.error.issues[0].path.join(".")}: ${event.error.issues[0].message}` : "not JSON"}).`);
    }
    if (event.data.workspace.uuid.toLowerCase() !== fit.workspaceUuid) {
      delivery.log.warn("Forge event refused: it names a repository outside the installation's workspace");
      return delivery.refuse(403, "auth.wrong_workspace", "The event names a repository outside this installation's workspace.");
    }
    if (installation.state !== "installed") {
      delivery.log.info("Forge push ignored: the app is uninstalled in this workspace");
      return void res.status(200).json({});
    }
    deps.tokens.rememberSystem(fit.installationId, headerOf(req, "x-forge-oauth-system"), fit.apiBaseUrl);
    res.status(200).json({});
    deps.schedule(() => handleForgePush(deps, fit, event.data, delivery.log).catch((err) => delivery.log.error({ err }, "Forge push handling failed")));
  });

  if (deps.routes.lifecyclePath) {
    router.post(deps.routes.lifecyclePath, async (req, res) => {
      const opened = await open(req, res);
      if (!opened) return;
      const { delivery, body, installation } = opened;
      const json = parseJson(body);
      const event = json === NOT_JSON ? undefined : Lifecycle.safeParse(json);
      if (!event?.success) return void res.status(200).json({});
      const state = event.data.eventType === INSTALLED_EVENT ? "installed" : "uninstalled";
      await deps.store.setState(installation, state);
      delivery.log.info({ state }, "Forge app lifecycle");
      res.status(200).json({});
    });
  }
  return router;
}

async function handleForgePush(deps: ForgeEventDeps, fit: Fit, event: PushEvent, log: Logger): Promise<void> {
  const credentials = deps.tokens.systemCredentials(fit.installationId);
  if (!credentials) return log.warn("Forge push ignored: Forge sent no system token (the push endpoint must enable appSystemToken in forge/manifest.yml)");
  const repo = await resolveRepository(deps, fit, credentials, event.repository.uuid, log);
  if (!repo) return;
  const ref = { workspace: repo.workspace.toLowerCase(), repo: repo.repo.toLowerCase() };
  const siteId = siteIdOf(ref);
  if (await deps.isDirectSite(siteId)) return log.info({ siteId }, "Forge push ignored: this repository deploys in direct mode or from the dashboard");
  if (await deps.store.isDisconnected(siteId)) return log.info({ siteId }, "Forge push ignored: a workspace admin disconnected this repository in the app's settings");
  const payload = pushPayloadOf(repo, event);
  await handleAuthorisedPush(deps.pipeline, { deliveryId: `forge:${event.repository.uuid}:${event.after ?? "deleted"}`, payload, log: log.child({ siteId }) }, { owner: forgeOwnerKey(fit.installationId), credentials });
}

/**
 * The repository's slugs from its UUID, asked of Bitbucket with the app's token and remembered.
 * When Bitbucket refuses the token (401/403) the remembered slugs are used, so the push still
 * becomes a deploy that fails by name (`fetch.unauthorized`) instead of vanishing.
 */
async function resolveRepository(deps: ForgeEventDeps, fit: Fit, credentials: ForgeToken, uuid: string, log: Logger): Promise<KnownRepository | undefined> {
  try {
    const repo = RepositoryJson.parse(await deps.bitbucket.getJson(credentials, repositoryPath(fit.workspaceUuid, uuid)));
    if (repo.workspace.uuid.toLowerCase() !== fit.workspaceUuid) {
      log.warn("Forge push ignored: Bitbucket places the repository in another workspace");
      return undefined;
    }
    const known = { uuid, workspaceUuid: fit.workspaceUuid, workspace: repo.workspace.slug, repo: repo.slug, ...(repo.mainbranch ? { mainBranch: repo.mainbranch.name } : {}) };
    await deps.store.rememberRepository(known);
    return known;
  } catch (err) {
    const status = err instanceof BitbucketError ? err.status : undefined;
    const known = status === 401 || status === 403 ? await deps.store.repository(uuid) : undefined;
    if (known && known.workspaceUuid === fit.workspaceUuid) {
      log.warn({ status }, "Bitbucket refused the app's token reading the repository; the push is recorded with the slugs it had before");
      return known;
    }
    log.warn({ status, err: (err as Error).message }, "Forge push ignored: the repository could not be read with the app's token");
    return undefined;
  }
}

/** The Forge event in the shape of a repo:push payload, so the shared pipeline reads one shape. */
function pushPayloadOf(repo: KnownRepository, event: PushEvent): PushPayload {
  const ref = typeof event.ref === "string" ? refOf(event.ref) : event.ref;
  const commit = (hash: string) => ({ hash, message: event.commits.find((c) => c.hash === hash)?.message });
  return {
    repository: { full_name: `${repo.workspace}/${repo.repo}`, uuid: repo.uuid, mainbranch: repo.mainBranch ? { name: repo.mainBranch } : null, workspace: { uuid: repo.workspaceUuid, slug: repo.workspace } },
    push: {
      changes: [
        {
          new: event.after ? { type: ref.type, name: ref.name, target: commit(event.after) } : null,
          old: event.before ? { type: ref.type, name: ref.name, target: commit(event.before) } : null,
        },
      ],
    },
  };
}

function refOf(ref: string): { type: string; name: string } {
  if (ref.startsWith("refs/heads/")) return { type: "branch", name: ref.slice("refs/heads/".length) };
  if (ref.startsWith("refs/tags/")) return { type: "tag", name: ref.slice("refs/tags/".length) };
  return { type: "branch", name: ref };
}
