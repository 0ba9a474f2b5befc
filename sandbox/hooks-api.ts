import express, { type Request, type Response, type Router } from "express";
import { z } from "zod";
import { apiError, type BearerDeps, lacksScope, requireUser, userMay } from "./bearer-auth.ts";
import { webhookJson } from "./bitbucket-json.ts";
import { paginate } from "./pagination.ts";
import { addRepoWebhook, deleteRepoWebhook, findRepoWebhook, repoWebhooksOf, updateRepoWebhook } from "./repo-webhooks.ts";
import { param } from "./route-params.ts";
import { hasScope } from "./scopes.ts";
import type { UserAccess } from "./oauth-grants.ts";
import type { Repo } from "./state.ts";

export interface HooksDeps extends BearerDeps {
  origin: string;
}

/** Bitbucket's repository event keys; a subscription also needs the scope of its events. */
const EVENT_SCOPES: Record<string, string> = {
  "repo:push": "repository",
  "repo:fork": "repository",
  "repo:updated": "repository",
  "repo:commit_comment_created": "repository",
  "repo:commit_status_created": "repository",
  "repo:commit_status_updated": "repository",
  "issue:created": "issue",
  "issue:updated": "issue",
  "issue:comment_created": "issue",
  "pullrequest:created": "pullrequest",
  "pullrequest:updated": "pullrequest",
  "pullrequest:approved": "pullrequest",
  "pullrequest:unapproved": "pullrequest",
  "pullrequest:fulfilled": "pullrequest",
  "pullrequest:rejected": "pullrequest",
  "pullrequest:changes_request_created": "pullrequest",
  "pullrequest:changes_request_removed": "pullrequest",
  "pullrequest:comment_created": "pullrequest",
  "pullrequest:comment_updated": "pullrequest",
  "pullrequest:comment_deleted": "pullrequest",
  "pullrequest:comment_resolved": "pullrequest",
  "pullrequest:comment_reopened": "pullrequest",
};

const event = z.string().refine((e) => Object.hasOwn(EVENT_SCOPES, e), { message: `unknown event; known: ${Object.keys(EVENT_SCOPES).join(", ")}` });
const events = z.array(event).min(1, "subscribe to at least one event").max(Object.keys(EVENT_SCOPES).length);
const hookUrl = z.url({ protocol: /^https?$/, error: "url must be an http(s) URL" }).max(2048);
const secret = z.string().min(1).max(128);

const createBody = z.object({
  url: hookUrl,
  description: z.string().max(255).optional(),
  active: z.boolean().optional(),
  events,
  secret: secret.optional(),
});
const updateBody = z.object({
  url: hookUrl.optional(),
  description: z.string().max(255).optional(),
  active: z.boolean().optional(),
  events: events.optional(),
  secret: secret.nullish(),
});

const HOOKS = "/2.0/repositories/:ws/:repo/hooks";

/**
 * Repository webhooks over REST (`/2.0/repositories/{ws}/{repo}/hooks[/{uid}]`): a user's
 * OAuth token with the `webhook` scope (plus the scopes of the events, e.g. `repository` for
 * repo:push) and admin on the repository. The same store as `addRepoWebhook`, so pushes
 * deliver to these hooks, signed with X-Hub-Signature when they have a secret.
 */
export function hooksRouter(deps: HooksDeps): Router {
  const router = express.Router();
  const json = express.json({ limit: "64kb" });
  router.get(HOOKS, (req, res) => {
    const repo = adminRepo(deps, req, res);
    if (repo)
      res.json(
        paginate(
          req,
          repoWebhooksOf(deps.state, repo.workspace, repo.slug).map((h) => webhookJson(deps.origin, repo, h)),
          deps.origin,
        ),
      );
  });
  router.post(HOOKS, json, (req, res) => {
    const found = adminRepoWithBody(deps, req, res, createBody);
    if (!found) return;
    const hook = addRepoWebhook(deps.state, found.repo.workspace, found.repo.slug, found.body);
    const body = webhookJson(deps.origin, found.repo, hook);
    res.status(201).location(body.links.self.href).json(body);
  });
  router.get(`${HOOKS}/:uid`, (req, res) => {
    const repo = adminRepo(deps, req, res);
    const hook = repo && hookOf(deps, req, res, repo);
    if (repo && hook) res.json(webhookJson(deps.origin, repo, hook));
  });
  router.put(`${HOOKS}/:uid`, json, (req, res) => {
    const found = adminRepoWithBody(deps, req, res, updateBody);
    const hook = found && hookOf(deps, req, res, found.repo);
    if (found && hook) res.json(webhookJson(deps.origin, found.repo, updateRepoWebhook(deps.state, hook, found.body)));
  });
  router.delete(`${HOOKS}/:uid`, (req, res) => {
    const repo = adminRepo(deps, req, res);
    const hook = repo && hookOf(deps, req, res, repo);
    if (!hook) return;
    deleteRepoWebhook(deps.state, hook);
    res.status(204).end();
  });
  return router;
}

/** The repository when the caller is a user holding admin there with the `webhook` scope; else answered. */
function adminRepo(deps: HooksDeps, req: Request, res: Response): Repo | undefined {
  return adminAccess(deps, req, res)?.repo;
}

function adminAccess(deps: HooksDeps, req: Request, res: Response): { repo: Repo; access: UserAccess } | undefined {
  const access = requireUser(deps, req, res, "webhook");
  if (!access) return undefined;
  const [ws, slug] = [param(req, "ws"), param(req, "repo")];
  if (!userMay(deps, res, access, ws, slug, { permission: "admin", scope: "webhook" })) return undefined;
  const repo = deps.state.repo(ws, slug);
  return repo && { repo, access };
}

/** adminRepo, then the body, then the scopes its events need (Bitbucket: repo:push needs `repository`). */
function adminRepoWithBody<S extends z.ZodType<{ events?: string[] }>>(deps: HooksDeps, req: Request, res: Response, schema: S) {
  const found = adminAccess(deps, req, res);
  if (!found) return undefined;
  const body = schema.safeParse(req.body ?? {});
  if (!body.success) return void apiError(res, 400, `Bad request: ${z.prettifyError(body.error)}`, { fields: z.flattenError(body.error).fieldErrors });
  const granted = found.access.scopes;
  const missing = (body.data.events ?? []).map((e) => EVENT_SCOPES[e] as string).find((s) => !hasScope(granted, s));
  if (missing) return void lacksScope(res, granted, missing);
  return { repo: found.repo, body: body.data as z.infer<S> };
}

function hookOf(deps: HooksDeps, req: Request, res: Response, repo: Repo) {
  const hook = findRepoWebhook(deps.state, repo.workspace, repo.slug, param(req, "uid"));
  if (!hook) apiError(res, 404, `No webhook ${param(req, "uid")} on ${repo.workspace}/${repo.slug}`);
  return hook;
}
