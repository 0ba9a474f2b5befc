import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from "express";
import { z } from "zod";
import type { Logger } from "../../core/log.ts";
import { SlugSchema, siteId as siteIdOf, type SiteRef } from "../../core/site.ts";
import type { Sites } from "../../core/sites.ts";
import { BitbucketError, type BitbucketClient, type ForgeToken } from "../bitbucket/client.ts";
import { allows, type Permission, type RepoAccess } from "../dashboard/access.ts";
import { ApiFailure, sendApiError } from "../panel-api/api-error.ts";
import type { PanelDoor, Scoped } from "../panel-api/routes.ts";
import { FitError, type Fit, type FitVerifier } from "./fit.ts";
import { forgeOwnerKey } from "./owner.ts";
import type { ProductTokens } from "./product-tokens.ts";
import { RepositoryJson, repositoryPath } from "./repository.ts";
import type { ForgeStore } from "./store.ts";

/**
 * The Forge app's panel calls (Custom UI → invokeRemote → here), under `/forge/api`. Every call:
 * the FIT (fit.ts) → its installation, bound to its workspace and installed → the user token Forge
 * sent (`x-forge-oauth-user`) asks Bitbucket what the FIT's user may do with the repository:
 * read shows it, write rolls back and redeploys, admin connects and disconnects. A repository
 * outside the installation's workspace, or one the user cannot read, is a 404. docs/forge.md.
 *
 *   GET /forge/api/repositories/:uuid              → ForgeRepository (the page's repository, by UUID)
 *   PUT /forge/api/repositories/:uuid/connection   { connected } → { connected }   (admin)
 *   …and /forge/api/sites/:workspace/:repo/…       the panel API (panel-api/routes.ts), via forgeDoor
 */

export const FORGE_API = "/forge/api";

export type ForgeRepository = { workspace: string; repo: string; siteId: string; mayChange: boolean; mayAdminister: boolean; connected: boolean; why?: string };

export type ForgeApiDeps = {
  verifier: FitVerifier;
  store: ForgeStore;
  tokens: ProductTokens;
  bitbucket: BitbucketClient;
  access: RepoAccess;
  sites: Sites;
  bitbucketUrl: string;
  logger: Logger;
  isDirectSite: (siteId: string) => Promise<boolean>;
};

type Caller = { fit: Fit; user: ForgeToken };

/** FIT → installation → the user token; answers 401/403 itself. */
export function requireFit(deps: ForgeApiDeps): RequestHandler {
  return async (req, res, next) => {
    try {
      const fit = await deps.verifier.verify(req.get("authorization"));
      const installation = await deps.store.bind(fit);
      if (!installation) throw new ApiFailure(403, "auth.wrong_workspace", "This Forge installation belongs to another workspace.");
      if (installation.state !== "installed") throw new ApiFailure(401, "auth.inactive", "Hoist's Forge app is uninstalled in this workspace. Install it again to see deploys.");
      const userToken = req.get("x-forge-oauth-user");
      if (!fit.principal || !userToken) throw new ApiFailure(401, "auth.no_user", "Forge sent no user with this call: the app's hoist-panel endpoint must enable appUserToken (forge/manifest.yml).");
      deps.tokens.rememberSystem(fit.installationId, req.get("x-forge-oauth-system"), fit.apiBaseUrl);
      const caller: Caller = { fit, user: deps.tokens.userCredentials(fit.installationId, userToken, fit.apiBaseUrl) };
      res.locals.forge = caller;
      next();
    } catch (err) {
      if (err instanceof FitError) {
        deps.logger.warn({ why: err.message }, "Forge call refused: the invocation token does not verify");
        return sendApiError(res, new ApiFailure(401, "auth.invalid", `Forge invocation refused: ${err.message}.`));
      }
      sendApiError(res, err);
    }
  };
}

const callerOf = (res: Response): Caller => res.locals.forge as Caller;
const ConnectionBody = z.strictObject({ connected: z.boolean() });

export function forgeApiRouter(deps: ForgeApiDeps): Router {
  const router = express.Router();
  const base = `${FORGE_API}/repositories/:uuid`;
  router.use(`${FORGE_API}/repositories`, express.json({ limit: "4kb" }), requireFit(deps));

  router.get(base, handle(deps, async (req, res) => void res.json(await repositoryView(deps, callerOf(res), String(req.params.uuid)))));

  router.put(
    `${base}/connection`,
    handle(deps, async (req, res) => {
      const body = ConnectionBody.safeParse(req.body);
      if (!body.success) throw new ApiFailure(400, "request.invalid", 'Send { "connected": true } or { "connected": false }.');
      const caller = callerOf(res);
      const found = await repositoryView(deps, caller, String(req.params.uuid));
      if (!found.mayAdminister) throw new ApiFailure(403, "auth.forbidden", "Only a repository admin in Bitbucket can connect or disconnect Hoist.");
      if (body.data.connected && found.why) throw new ApiFailure(409, "site.owned_elsewhere", found.why);
      await deps.store.setConnected(found.siteId, body.data.connected, caller.fit.principal ?? "");
      deps.logger.info({ siteId: found.siteId, connected: body.data.connected }, "Forge site connection changed");
      res.json({ connected: body.data.connected });
    }),
  );
  return router;
}

/** The panel API's Forge door (panel-api/routes.ts). */
export function forgeDoor(deps: ForgeApiDeps): PanelDoor {
  return {
    base: FORGE_API,
    authenticate: requireFit(deps),
    scope: async (req: Request, res: Response): Promise<Scoped> => {
      try {
        return await scopeOf(deps, req, res);
      } catch (err) {
        throw asApiFailure(err, deps.logger);
      }
    },
  };
}

async function scopeOf(deps: ForgeApiDeps, req: Request, res: Response): Promise<Scoped> {
  const caller = callerOf(res);
  const ws = SlugSchema.safeParse(req.params.workspace);
  const rp = SlugSchema.safeParse(req.params.repo);
  if (!ws.success || !rp.success) throw new ApiFailure(400, "request.invalid", "The site is named by a workspace and repository slug.");
  const ref: SiteRef = { workspace: ws.data, repo: rp.data };
  const siteId = siteIdOf(ref);
  const repo = await readRepository(deps, caller, repositoryPath(ref.workspace, ref.repo));
  const permission = repo ? await deps.access.permission(caller.fit.principal ?? "", caller.user, siteId) : undefined;
  const owner = forgeOwnerKey(caller.fit.installationId);
  const stages = permission ? await deps.sites.listStages(siteId) : [];
  if (!repo || !permission || stages.some((st) => st.owner !== undefined && st.owner !== owner)) {
    throw new ApiFailure(404, "site.not_found", "No such site for this installation (or you cannot see its repository in Bitbucket).");
  }
  return {
    ref,
    siteId,
    stages,
    owner,
    credentials: deps.tokens.systemCredentials(caller.fit.installationId) ?? caller.user,
    commitBaseUrl: deps.bitbucketUrl,
    mayChange: allows(permission, "write"),
    actor: caller.fit.principal ?? caller.fit.installationId,
  };
}

/** The repository (by UUID, in the installation's workspace) as the panel needs it. */
async function repositoryView(deps: ForgeApiDeps, caller: Caller, uuid: string): Promise<ForgeRepository> {
  if (!/^\{[0-9a-f-]{36}\}$/i.test(uuid)) throw new ApiFailure(400, "request.invalid", "The repository is named by its UUID in braces.");
  const repo = await readRepository(deps, caller, repositoryPath(caller.fit.workspaceUuid, uuid));
  if (!repo) throw new ApiFailure(404, "site.not_found", "No such repository in this workspace (or you cannot see it in Bitbucket).");
  const ref = { workspace: repo.workspace.slug.toLowerCase(), repo: repo.slug.toLowerCase() };
  const siteId = siteIdOf(ref);
  const permission: Permission | undefined = await deps.access.permission(caller.fit.principal ?? "", caller.user, siteId);
  if (!permission) throw new ApiFailure(404, "site.not_found", "No such repository in this workspace (or you cannot see it in Bitbucket).");
  const owner = forgeOwnerKey(caller.fit.installationId);
  const stages = await deps.sites.listStages(siteId);
  const why = stages.some((st) => st.owner !== undefined && st.owner !== owner)
    ? "Another Hoist owner (a Connect installation, the dashboard or another Forge installation) already deploys this repository."
    : (await deps.isDirectSite(siteId))
      ? "This repository deploys through the Hoist dashboard or the operator's direct sites file; disconnect it there first."
      : undefined;
  return {
    ...ref,
    siteId,
    mayChange: allows(permission, "write"),
    mayAdminister: allows(permission, "admin"),
    connected: !why && !(await deps.store.isDisconnected(siteId)),
    ...(why ? { why } : {}),
  };
}

/** The repository as the calling user sees it, or undefined when they cannot (or it is outside the installation's workspace). */
async function readRepository(deps: ForgeApiDeps, caller: Caller, path: string): Promise<z.infer<typeof RepositoryJson> | undefined> {
  let raw: unknown;
  try {
    raw = await deps.bitbucket.getJson(caller.user, path);
  } catch (err) {
    if (err instanceof BitbucketError && (err.status === 403 || err.status === 404)) return undefined;
    throw err;
  }
  const repo = RepositoryJson.safeParse(raw);
  return repo.success && repo.data.workspace.uuid.toLowerCase() === caller.fit.workspaceUuid ? repo.data : undefined;
}

function handle(deps: ForgeApiDeps, fn: (req: Request, res: Response) => Promise<void>) {
  return (req: Request, res: Response, _next: NextFunction) => fn(req, res).catch((err: unknown) => sendApiError(res, asApiFailure(err, deps.logger)));
}

function asApiFailure(err: unknown, logger: Logger): unknown {
  if (err instanceof BitbucketError && err.status === 401) return new ApiFailure(401, "auth.invalid", "Bitbucket refused the token Forge sent for you. Reload the page; reinstall the app if it repeats.");
  if (err instanceof BitbucketError) {
    logger.warn({ err: err.message, status: err.status }, "Bitbucket refused a Forge panel call");
    return new ApiFailure(502, "bitbucket.failed", `Bitbucket answered ${err.status ?? "with an error"}; try again in a moment.`);
  }
  return err;
}
