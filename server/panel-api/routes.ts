import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from "express";
import { z } from "zod";
import type { Clients } from "../../core/aws.ts";
import type { Config } from "../../core/config.ts";
import type { DeployRecord, DeployRecords } from "../../core/deploy-records.ts";
import type { Logger } from "../../core/log.ts";
import { readManifest, type Manifest } from "../../core/manifest.ts";
import { PRODUCTION, type SiteRef } from "../../core/site.ts";
import type { SiteStage, Sites } from "../../core/sites.ts";
import type { BitbucketClient, BitbucketCredentials } from "../bitbucket/client.ts";
import type { DeployQueue } from "../deploys/deploy-queue.ts";
import { queueDeploy, resolveMainBranch } from "../deploys/queue-deploy.ts";
import { ApiFailure, sendApiError } from "./api-error.ts";
import { diffManifests } from "./file-changes.ts";
import type { DeployDetailResponse, DeployPage, SiteResponse } from "./types.ts";
import { deployView, stageView } from "./views.ts";

/**
 * The panel API (types.ts is the contract), the same routes behind each front door that shows the
 * panel: the Connect iframe (connect-door.ts) and the dashboard (dashboard/dashboard-door.ts).
 * A door authenticates the request and resolves its `Scoped` — which site, whose it is, with which
 * credentials, and whether this caller may change it — before any route reads the request's
 * meaning; the routes below trust it. A door that finds nothing the caller may see answers 404,
 * saying nothing more.
 */

export type PanelApiDeps = {
  config: Config;
  clients: Clients;
  records: DeployRecords;
  sites: Sites;
  bitbucket: BitbucketClient;
  queue: DeployQueue;
  logger: Logger;
};

/** What a door resolved for one request. */
export type Scoped = {
  ref: SiteRef;
  siteId: string;
  stages: SiteStage[];
  /** The site's owner key: redeploys are created for it (one site, one owner). */
  owner: string;
  /** Bitbucket credentials a redeploy uses (the owner's). */
  credentials: BitbucketCredentials;
  /** Bitbucket's web origin, for commit links. */
  commitBaseUrl: string;
  /** Whether this caller may roll back and redeploy. */
  mayChange: boolean;
  /** Who is asking, for the logs. */
  actor: string;
};

export type PanelDoor = {
  /** Where the routes live, e.g. "/api" (Connect) or "/dashboard/api" (the dashboard). */
  base: string;
  authenticate: RequestHandler;
  scope(req: Request, res: Response): Promise<Scoped>;
};

const DEPLOY_ID = z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, "must be a deploy id");
const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: DEPLOY_ID.optional(),
  stage: z.string().min(1).max(200).optional(),
});
const RollbackBody = z.strictObject({ deployId: DEPLOY_ID, stage: z.string().min(1).max(200).optional(), expectedLiveDeployId: DEPLOY_ID.optional() });
const RedeployBody = z.strictObject({ commit: z.string().regex(/^[0-9a-fA-F]{7,40}$/, "must be a commit hash"), branch: z.string().min(1).max(200).optional() });

export function panelApiRouter(deps: PanelApiDeps, door: PanelDoor): Router {
  const router = express.Router();
  const api = door.base;
  const base = `${api}/sites/:workspace/:repo`;
  router.use(api, (_req, res, next) => {
    res.set({ "x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "cache-control": "no-store" });
    next();
  });
  router.use(api, express.json({ limit: "16kb" }));
  router.use(api, door.authenticate);

  const scoped = (handler: (s: Scoped, req: Request, res: Response) => Promise<void>, opts: { changes?: boolean } = {}) => async (req: Request, res: Response, next: NextFunction) => {
    try {
      const s = await door.scope(req, res);
      if (opts.changes && !s.mayChange) throw new ApiFailure(403, "auth.read_only", "You can see this site but not change it: rolling back and redeploying need write access to the repository in Bitbucket.");
      await handler(s, req, res);
    } catch (err) {
      next(err);
    }
  };

  router.get(base, scoped(async (s, _req, res) => void res.json(await siteResponse(deps, s))));

  router.get(`${base}/deploys`, scoped(async (s, req, res) => {
    const query = parse(ListQuery, req.query, "query");
    const page = await deps.records.list(s.siteId, query);
    const body: DeployPage = { deploys: page.deploys.map((d) => view(deps, s, d)), nextCursor: page.nextCursor };
    res.json(body);
  }));

  router.get(`${base}/deploys/:deployId`, scoped(async (s, req, res) => {
    const deployId = parse(DEPLOY_ID, req.params.deployId, "deployId");
    const record = await deps.records.get(s.siteId, deployId);
    if (!record) throw new ApiFailure(404, "deploy.not_found", "No such deploy on this site.");
    const changes = await changesOf(deps, s, record);
    const body: DeployDetailResponse = { deploy: { ...view(deps, s, record), log: record.log ?? [], ...changes } };
    res.json(body);
  }));

  router.post(`${base}/rollback`, scoped(async (s, req, res) => {
    const body = parse(RollbackBody, req.body, "body");
    const target = await deps.records.get(s.siteId, body.deployId);
    if (!target || target.status !== "succeeded" || !target.manifestKey) {
      throw new ApiFailure(400, "rollback.not_deployable", "Only a deploy that succeeded can be made live again.");
    }
    if (body.stage && body.stage !== target.stage) throw new ApiFailure(400, "rollback.wrong_stage", "That deploy belongs to another stage.");
    const stage = s.stages.find((st) => st.stage === target.stage);
    if (!stage?.liveDeployId) throw new ApiFailure(409, "rollback.conflict", "This stage has no live deploy to roll back from.");
    const expected = body.expectedLiveDeployId ?? stage.liveDeployId;
    const ok = await deps.sites.rollback({ host: stage.host, toDeployId: target.deployId, manifestKey: target.manifestKey, expectedLiveDeployId: expected });
    if (!ok) throw new ApiFailure(409, "rollback.conflict", "The live deploy changed meanwhile (another rollback or a new deploy). Reload and try again.");
    deps.logger.info({ actor: s.actor, siteId: s.siteId, to: target.deployId }, "rolled back");
    res.json(await siteResponse(deps, { ...s, stages: await ownedStages(deps, s.siteId, s.owner) }));
  }, { changes: true }));

  router.post(`${base}/redeploy`, scoped(async (s, req, res) => {
    const body = parse(RedeployBody, req.body, "body");
    const mainBranch = await resolveMainBranch(deps.bitbucket, s.credentials, s.ref);
    const result = await queueDeploy(deps, {
      ref: s.ref,
      owner: s.owner,
      credentials: s.credentials,
      branch: body.branch ?? mainBranch,
      commit: body.commit.toLowerCase(),
      mainBranch,
      trigger: "redeploy",
      log: deps.logger.child({ actor: s.actor, siteId: s.siteId }),
    });
    if (result.kind === "not_queued") {
      if (result.code === "site.owned_elsewhere") throw new ApiFailure(404, "site.not_found", "No such site for this installation.");
      throw new ApiFailure(400, result.code, result.message);
    }
    res.status(202).json({ deploy: view(deps, s, result.deploy) });
  }, { changes: true }));

  router.use(api, (_req, res) => sendApiError(res, new ApiFailure(404, "not_found", "No such API route.")));
  router.use(api, (err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (!(err instanceof ApiFailure)) deps.logger.error({ err }, "panel API failed");
    sendApiError(res, err);
  });
  return router;
}

async function ownedStages(deps: PanelApiDeps, siteId: string, owner: string): Promise<SiteStage[]> {
  return (await deps.sites.listStages(siteId)).filter((st) => st.owner === undefined || st.owner === owner);
}

function view(deps: PanelApiDeps, s: Scoped, record: DeployRecord) {
  const liveIds = new Set(s.stages.map((st) => st.liveDeployId).filter((id): id is string => Boolean(id)));
  return deployView(record, { liveIds, sitesDomain: deps.config.sitesDomain, commitBaseUrl: s.commitBaseUrl });
}

async function siteResponse(deps: PanelApiDeps, s: Scoped): Promise<SiteResponse> {
  const stages = await Promise.all(
    s.stages.map(async (st) => {
      const live = st.liveDeployId ? await deps.records.get(s.siteId, st.liveDeployId) : undefined;
      return stageView(st, deps.config.sitesDomain, live ? view(deps, s, live) : undefined);
    }),
  );
  stages.sort((a, b) => (a.stage === PRODUCTION ? -1 : b.stage === PRODUCTION ? 1 : a.stage.localeCompare(b.stage)));
  return { site: { siteId: s.siteId, workspace: s.ref.workspace, repo: s.ref.repo, stages } };
}

/** Files changed since the previous succeeded deploy of the same stage (both manifests must exist). */
async function changesOf(deps: PanelApiDeps, s: Scoped, record: DeployRecord) {
  if (!record.manifestKey) return {};
  try {
    const current = await readManifest(deps.clients.s3, deps.config.buckets.sites, record.manifestKey);
    let previous: Manifest | undefined;
    let cursor: string | undefined = record.deployId;
    for (let pages = 0; pages < 5 && cursor && !previous; pages++) {
      const page = await deps.records.list(s.siteId, { stage: record.stage, cursor, limit: 50 });
      const older = page.deploys.find((d) => d.status === "succeeded" && d.manifestKey);
      if (older?.manifestKey) previous = await readManifest(deps.clients.s3, deps.config.buckets.sites, older.manifestKey);
      cursor = page.nextCursor;
    }
    const diff = diffManifests(previous, current);
    return { changes: diff.changes, changesTruncated: diff.truncated };
  } catch (err) {
    deps.logger.warn({ err: (err as Error).message, deployId: record.deployId }, "could not compute file changes");
    return {};
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new ApiFailure(400, "request.invalid", `Invalid ${what}${issue.path.length ? ` (${issue.path.join(".")})` : ""}: ${issue.message}.`);
}
