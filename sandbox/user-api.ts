import express, { type Request, type Response, type Router } from "express";
import { apiError, type BearerDeps, requireUser } from "./bearer-auth.ts";
import { compileQuery, QueryError, type QueryFields } from "./bbql.ts";
import { repositoryPermissionJson, userJson, workspaceAccessJson } from "./bitbucket-json.ts";
import { paginate } from "./pagination.ts";
import { param } from "./route-params.ts";
import { own, type Repo, type SandboxState, type User, type Workspace } from "./state.ts";
import { isDefaultUser, permissionOf, type RepoPermission } from "./users.ts";

export interface UserApiDeps extends BearerDeps {
  origin: string;
}

interface PermissionRow {
  repo: Repo;
  permission: RepoPermission;
}

const PERMISSION_FIELDS: QueryFields<PermissionRow> = {
  permission: { get: (r) => r.permission, order: ["read", "write", "admin"] },
  "repository.full_name": { get: (r) => `${r.repo.workspace}/${r.repo.slug}` },
  "repository.name": { get: (r) => r.repo.name },
  "repository.slug": { get: (r) => r.repo.slug },
  "repository.uuid": { get: (r) => r.repo.uuid },
};

interface WorkspaceRow {
  ws: Workspace;
  administrator: boolean;
}

const WORKSPACE_FIELDS: QueryFields<WorkspaceRow> = {
  "workspace.slug": { get: (w) => w.ws.slug },
  "workspace.name": { get: (w) => w.ws.name },
  "workspace.uuid": { get: (w) => w.ws.uuid },
  administrator: { get: (w) => String(w.administrator) },
};

/**
 * The signed-in user's side of the API, for a user's OAuth token: `GET /2.0/user` (scope
 * `account`), `GET /2.0/user/permissions/repositories` and its per-workspace successor
 * `/2.0/user/workspaces/{ws}/permissions/repositories` (scope `repository`; every repository
 * the user can read, with `q` on permission and repository.*), `GET /2.0/user/workspaces`
 * (scope `account`; workspaces where the user can read something).
 */
export function userApiRouter(deps: UserApiDeps): Router {
  const router = express.Router();
  router.get("/2.0/user", (req, res) => {
    const access = requireUser(deps, req, res, "account");
    if (access) res.json(userJson(deps.origin, access.user));
  });
  router.get("/2.0/user/permissions/repositories", (req, res) => {
    const access = requireUser(deps, req, res, "repository");
    if (access) listPermissions(deps, req, res, access.user);
  });
  router.get("/2.0/user/workspaces/:ws/permissions/repositories", (req, res) => {
    const access = requireUser(deps, req, res, "repository");
    if (!access) return;
    const ws = param(req, "ws");
    if (!own(deps.state.data.workspaces, ws)) return apiError(res, 404, `No workspace with identifier "${ws}"`);
    listPermissions(deps, req, res, access.user, ws);
  });
  router.get("/2.0/user/workspaces", (req, res) => {
    const access = requireUser(deps, req, res, "account");
    if (!access) return;
    const rows = workspacesOf(deps.state, access.user);
    sendFiltered(deps, req, res, rows, WORKSPACE_FIELDS, (w) => workspaceAccessJson(deps.origin, w.ws, w.administrator));
  });
  return router;
}

function listPermissions(deps: UserApiDeps, req: Request, res: Response, user: User, workspace?: string): void {
  const rows = readableRepos(deps.state, user, workspace);
  sendFiltered(deps, req, res, rows, PERMISSION_FIELDS, (r) => repositoryPermissionJson(deps.origin, user, r.repo, r.permission));
}

/** Every repository `user` can read (in `workspace`, if given), by full name. */
export function readableRepos(state: SandboxState, user: User, workspace?: string): PermissionRow[] {
  const rows: PermissionRow[] = [];
  for (const repo of Object.values(state.data.repos)) {
    if (workspace !== undefined && repo.workspace !== workspace) continue;
    const permission = permissionOf(state, user, repo.workspace, repo.slug);
    if (permission !== "none") rows.push({ repo, permission });
  }
  return rows.sort((a, b) => `${a.repo.workspace}/${a.repo.slug}`.localeCompare(`${b.repo.workspace}/${b.repo.slug}`));
}

/** The default user owns every workspace; anyone else sees the workspaces where they can read a repository. */
function workspacesOf(state: SandboxState, user: User): WorkspaceRow[] {
  const owner = isDefaultUser(state, user);
  const visible = new Set(readableRepos(state, user).map((r) => r.repo.workspace));
  return Object.values(state.data.workspaces)
    .filter((ws) => owner || visible.has(ws.slug))
    .sort((a, b) => a.slug.localeCompare(b.slug))
    .map((ws) => ({ ws, administrator: owner }));
}

/** Applies `q` (400 when it does not parse), then pages. */
export function sendFiltered<T>(deps: { origin: string }, req: Request, res: Response, rows: T[], fields: QueryFields<T>, toJson: (row: T) => unknown): void {
  const q = req.query.q;
  if (q !== undefined && typeof q !== "string") {
    apiError(res, 400, "Invalid query: give q once");
    return;
  }
  let filtered = rows;
  if (q) {
    try {
      filtered = rows.filter(compileQuery(q, fields));
    } catch (err) {
      if (!(err instanceof QueryError)) throw err;
      apiError(res, 400, `Invalid query: ${err.message}`);
      return;
    }
  }
  res.json(paginate(req, filtered.map(toJson), deps.origin));
}
