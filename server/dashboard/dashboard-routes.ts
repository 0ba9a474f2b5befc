import { randomBytes } from "node:crypto";
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import { z } from "zod";
import type { DeployRecords } from "../../core/deploy-records.ts";
import type { Logger } from "../../core/log.ts";
import { PRODUCTION, SlugSchema, siteId as siteIdOf, stageUrl, type SiteRef } from "../../core/site.ts";
import type { Sites, SiteStage } from "../../core/sites.ts";
import { BitbucketError, type BitbucketClient, type BitbucketCredentials } from "../bitbucket/client.ts";
import { directOwnerKey, isDirectOwner, type DirectSites } from "../owners/direct-sites.ts";
import type { OwnerCredentials } from "../owners/owner-credentials.ts";
import { ApiFailure, sendApiError } from "../panel-api/api-error.ts";
import type { PanelDoor, Scoped } from "../panel-api/routes.ts";
import { allows, type Permission, type RepoAccess } from "./access.ts";
import { OAuthRefused, type OAuthSettings, type UserTokens } from "./oauth.ts";
import { requireSession, type SessionCookies, type SignedIn } from "./session.ts";
import type { Connection, DashboardStore } from "./store.ts";
import type { MeResponse, RepositoriesResponse, SiteSummary, SitesResponse } from "./types.ts";

/**
 * The dashboard's own API (types.ts) and its door to the panel API. Every route: a signed-in
 * session (CSRF-checked for changes) → the user's permission on the repository, from Bitbucket
 * (access.ts) → what that permission allows. A repository the user cannot read is a 404, saying
 * nothing more; one site has one owner (connecting a site someone else deploys is refused, naming who).
 */

export const DASHBOARD_API = "/dashboard/api";

export type DashboardDeps = {
  settings: OAuthSettings;
  store: DashboardStore;
  cookies: SessionCookies;
  tokens: UserTokens;
  access: RepoAccess;
  bitbucket: BitbucketClient;
  records: DeployRecords;
  sites: Sites;
  direct: DirectSites;
  credentials: OwnerCredentials;
  baseUrl: string;
  sitesDomain: string;
  logger: Logger;
};

const ConnectBody = z.strictObject({ workspace: SlugSchema, repo: SlugSchema, accessToken: z.string().min(10).max(4096).optional() });

/** Repositories per page of "Add site" (sorted by name; `after` continues from the last one shown). */
const REPOSITORIES_PAGE = 50;

export function dashboardRouter(deps: DashboardDeps): Router {
  const router = express.Router();
  const session = requireSession(deps);
  router.use(DASHBOARD_API, express.json({ limit: "16kb" }));

  router.get(`${DASHBOARD_API}/me`, session, (_req, res) => {
    const { session: s } = res.locals.signedIn as SignedIn;
    const body: MeResponse = { user: { uuid: s.userUuid, nickname: s.nickname, displayName: s.displayName }, csrf: s.csrf };
    res.json(body);
  });

  router.get(
    `${DASHBOARD_API}/sites`,
    session,
    handle(async (_req, res) => {
      const user = userOf(res);
      const readable = await deps.access.readable(user.uuid, deps.tokens.credentials(user.uuid));
      const summaries: SiteSummary[] = [];
      for (const [siteId, permission] of readable) {
        const summary = await summarise(deps, siteId, permission);
        if (summary) summaries.push(summary);
      }
      const body: SitesResponse = { sites: summaries.sort((a, b) => (b.latest?.queuedAt ?? "").localeCompare(a.latest?.queuedAt ?? "")) };
      res.json(body);
    }),
  );

  router.get(
    `${DASHBOARD_API}/repositories`,
    session,
    handle(async (req, res) => {
      const user = userOf(res);
      const q = typeof req.query.q === "string" ? req.query.q.toLowerCase().slice(0, 100) : "";
      const after = typeof req.query.after === "string" ? req.query.after.slice(0, 300) : "";
      const readable = await deps.access.readable(user.uuid, deps.tokens.credentials(user.uuid));
      const matching = [...readable]
        .filter(([siteId, permission]) => allows(permission, "admin") && (!q || siteId.includes(q)) && siteId > after)
        .map(([siteId]) => siteId)
        .sort();
      const repositories = [];
      for (const siteId of matching.slice(0, REPOSITORIES_PAGE)) {
        const [workspace, repo] = siteId.split("/") as [string, string];
        const why = await whyNotConnectable(deps, { workspace, repo });
        repositories.push({ siteId, workspace, repo, connectable: !why, ...(why ? { why } : {}) });
      }
      const body: RepositoriesResponse = { repositories, ...(matching.length > REPOSITORIES_PAGE ? { next: matching[REPOSITORIES_PAGE - 1] } : {}) };
      res.json(body);
    }),
  );

  router.post(
    `${DASHBOARD_API}/sites`,
    session,
    handle(async (req, res) => {
      const user = userOf(res);
      const parsed = ConnectBody.safeParse(req.body);
      if (!parsed.success) throw new ApiFailure(400, "request.invalid", "Name the repository as { workspace, repo } (an access token is optional).");
      const ref = { workspace: parsed.data.workspace, repo: parsed.data.repo };
      const siteId = siteIdOf(ref);
      const userCreds = deps.tokens.credentials(user.uuid);
      const permission = await deps.access.permission(user.uuid, userCreds, siteId);
      if (!permission) throw new ApiFailure(404, "site.not_found", "No such repository (or you cannot see it in Bitbucket).");
      if (!allows(permission, "admin")) throw new ApiFailure(403, "auth.not_admin", "Connecting a repository needs admin permission on it in Bitbucket.");
      const why = await whyNotConnectable(deps, ref);
      if (why) throw new ApiFailure(409, "site.owned_elsewhere", why);
      if (parsed.data.accessToken) await checkAccessToken(deps, ref, parsed.data.accessToken);
      // Reconnecting a site that needs attention replaces its webhook.
      const previous = await deps.store.getConnection(siteId);
      if (previous?.state === "connected" && previous.webhookUuid) await removeHook(deps, userCreds, ref, previous.webhookUuid);
      const secret = randomBytes(32).toString("base64url");
      const hook = await deps.bitbucket.sendJson<{ uuid?: string }>(userCreds, "POST", `/2.0/repositories/${ref.workspace}/${ref.repo}/hooks`, {
        description: "Hoist: deploys every push",
        url: `${deps.baseUrl}/hooks/bitbucket/${ref.workspace}/${ref.repo}`,
        active: true,
        events: ["repo:push"],
        secret,
      });
      const connection: Connection = {
        siteId,
        state: "connected",
        webhookUuid: hook?.uuid,
        webhookSecret: secret,
        accessToken: parsed.data.accessToken,
        connectedBy: { uuid: user.uuid, nickname: user.nickname },
        connectedAt: new Date().toISOString(),
      };
      await deps.store.putConnection(connection);
      deps.access.forget(user.uuid);
      deps.logger.info({ siteId, user: user.uuid, token: Boolean(parsed.data.accessToken) }, "repository connected");
      res.status(201).json({ site: await summarise(deps, siteId, permission) });
    }),
  );

  router.delete(
    `${DASHBOARD_API}/sites/:workspace/:repo`,
    session,
    handle(async (req, res) => {
      const user = userOf(res);
      const ref = refOf(req);
      const siteId = siteIdOf(ref);
      const userCreds = deps.tokens.credentials(user.uuid);
      const permission = await deps.access.permission(user.uuid, userCreds, siteId);
      const connection = permission ? await deps.store.getConnection(siteId) : undefined;
      if (!permission || !connection) throw new ApiFailure(404, "site.not_found", "This repository is not connected on the dashboard.");
      if (!allows(permission, "admin")) throw new ApiFailure(403, "auth.not_admin", "Disconnecting a repository needs admin permission on it in Bitbucket.");
      if (connection.webhookUuid) await removeHook(deps, userCreds, ref, connection.webhookUuid);
      await deps.store.setConnectionState(siteId, "disconnected");
      deps.logger.info({ siteId, user: user.uuid }, "repository disconnected; its history and live site stay");
      res.status(204).end();
    }),
  );
  router.use(DASHBOARD_API, (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const mapped = asApiFailure(err, deps.logger);
    if (mapped instanceof ApiFailure) return sendApiError(res, mapped);
    next(mapped);
  });
  return router;
}

/** The panel API for the dashboard: the signed-in user's permission decides what they see and change. */
export function dashboardDoor(deps: DashboardDeps): PanelDoor {
  return {
    base: DASHBOARD_API,
    authenticate: requireSession(deps),
    scope: (req: Request, res: Response) => doorScope(deps, req, res).catch((err: unknown) => Promise.reject(asApiFailure(err, deps.logger))),
  };
}

async function doorScope(deps: DashboardDeps, req: Request, res: Response): Promise<Scoped> {
  const user = userOf(res);
  const ref = refOf(req);
  const siteId = siteIdOf(ref);
  const userCreds = deps.tokens.credentials(user.uuid);
  const permission = await deps.access.permission(user.uuid, userCreds, siteId);
  const stages = permission ? await deps.sites.listStages(siteId) : [];
  const connection = permission ? await deps.store.getConnection(siteId) : undefined;
  if (!permission || (stages.length === 0 && !connection))
    throw new ApiFailure(404, "site.not_found", "No such site (or you cannot see its repository in Bitbucket).");
  const owner = ownerOf(stages) ?? directOwnerKey(ref);
  return {
    ref,
    siteId,
    stages,
    owner,
    credentials: (await deps.credentials.forDeploy(owner)) ?? userCreds,
    commitBaseUrl: deps.settings.bitbucketUrl,
    mayChange: allows(permission, "write"),
    actor: user.uuid,
  };
}

/** What Bitbucket and the grant store say about the user, as the API's answers; other errors pass on. */
function asApiFailure(err: unknown, logger: Logger): unknown {
  if (err instanceof OAuthRefused || (err instanceof BitbucketError && err.status === 401)) {
    return new ApiFailure(401, "auth.signed_out", "Bitbucket no longer accepts Hoist's access for your account. Sign in with Bitbucket again.");
  }
  if (err instanceof BitbucketError) {
    logger.warn({ err: err.message, status: err.status }, "Bitbucket refused a dashboard call");
    return new ApiFailure(502, "bitbucket.failed", `Bitbucket answered ${err.status ?? "with an error"}; try again in a moment.`);
  }
  return err;
}

function handle(route: (req: Request, res: Response) => Promise<void>) {
  return (req: Request, res: Response, next: NextFunction) => {
    route(req, res).catch(next);
  };
}

function userOf(res: Response) {
  const { session } = res.locals.signedIn as SignedIn;
  return { uuid: session.userUuid, nickname: session.nickname };
}

function refOf(req: Request): SiteRef {
  const ws = SlugSchema.safeParse(req.params.workspace);
  const rp = SlugSchema.safeParse(req.params.repo);
  if (!ws.success || !rp.success) throw new ApiFailure(400, "request.invalid", "The site is named by a workspace and repository slug.");
  return { workspace: ws.data, repo: rp.data };
}

function ownerOf(stages: SiteStage[]): string | undefined {
  return stages.find((st) => st.owner !== undefined)?.owner;
}

/** Why a repository cannot be connected on the dashboard (one site, one owner), or undefined. */
async function whyNotConnectable(deps: DashboardDeps, ref: SiteRef): Promise<string | undefined> {
  const siteId = siteIdOf(ref);
  if (deps.direct.inFile(siteId)) return "The operator deploys this repository from Hoist's sites file (HOIST_DIRECT_SITES_FILE); it is shown read-only.";
  const owner = ownerOf(await deps.sites.listStages(siteId));
  if (owner && !isDirectOwner(owner)) return "The Hoist app installed in this Bitbucket workspace (Connect) already deploys this repository.";
  const connection = await deps.store.getConnection(siteId);
  if (connection?.state === "connected" && !connection.attention) return "This repository is already connected.";
  return undefined;
}

/** Deletes a webhook Hoist made; one already gone is fine. */
async function removeHook(deps: DashboardDeps, creds: BitbucketCredentials, ref: SiteRef, uuid: string): Promise<void> {
  await deps.bitbucket.sendJson(creds, "DELETE", `/2.0/repositories/${ref.workspace}/${ref.repo}/hooks/${encodeURIComponent(uuid)}`).catch((err: unknown) => {
    if (!(err instanceof BitbucketError && err.status === 404)) throw err;
  });
}

async function checkAccessToken(deps: DashboardDeps, ref: SiteRef, token: string): Promise<void> {
  const creds = {
    kind: "repository-token" as const,
    owner: directOwnerKey(ref),
    accessToken: token,
    baseUrl: deps.settings.bitbucketUrl,
    baseApiUrl: deps.settings.apiUrl,
  };
  try {
    await deps.bitbucket.getJson(creds, `/2.0/repositories/${ref.workspace}/${ref.repo}`);
  } catch {
    throw new ApiFailure(
      400,
      "token.invalid",
      "Bitbucket does not accept this access token for the repository. Create a repository access token with Repositories: Read and Write, and paste it again.",
    );
  }
}

async function summarise(deps: DashboardDeps, siteId: string, permission: Permission): Promise<SiteSummary | undefined> {
  const stages = await deps.sites.listStages(siteId);
  const connection = await deps.store.getConnection(siteId);
  const ref = { workspace: siteId.split("/")[0]!, repo: siteId.split("/")[1]! };
  const owner = ownerOf(stages);
  const source: SiteSummary["source"] = deps.direct.inFile(siteId) ? "file" : owner && !isDirectOwner(owner) ? "connect" : connection ? "dashboard" : "file";
  if (stages.length === 0 && !connection && !deps.direct.inFile(siteId)) return undefined;
  const production = stages.find((st) => st.stage === PRODUCTION);
  const [latest] = (await deps.records.list(siteId, { limit: 1 })).deploys;
  return {
    siteId,
    workspace: ref.workspace,
    repo: ref.repo,
    permission,
    source,
    ...(connection ? { connected: connection.state === "connected" } : {}),
    ...(connection?.attention ? { attention: connection.attention } : {}),
    url: production ? `http://${production.host}.${deps.sitesDomain}/` : stageUrl(ref, PRODUCTION, deps.sitesDomain),
    ...(latest
      ? {
          latest: {
            deployId: latest.deployId,
            status: latest.status,
            commit: latest.commit,
            branch: latest.branch,
            queuedAt: latest.queuedAt,
            finishedAt: latest.finishedAt,
            stats: latest.stats,
            reason: latest.reason,
            reasonMessage: latest.reasonMessage,
          },
        }
      : {}),
  };
}
