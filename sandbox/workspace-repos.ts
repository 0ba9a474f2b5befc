import express, { type Router } from "express";
import { apiError, type BearerDeps, callerOf, lacksScope, unauthorized } from "./bearer-auth.ts";
import type { QueryFields } from "./bbql.ts";
import { repositoryJson } from "./bitbucket-json.ts";
import { param } from "./route-params.ts";
import { hasScope } from "./scopes.ts";
import { own, type Repo } from "./state.ts";
import type { RepoPermission } from "./users.ts";
import { readableRepos, sendFiltered } from "./user-api.ts";

export interface WorkspaceReposDeps extends BearerDeps {
  origin: string;
}

const REPO_FIELDS: QueryFields<Repo> = {
  name: { get: (r) => r.name },
  slug: { get: (r) => r.slug },
  full_name: { get: (r) => `${r.workspace}/${r.slug}` },
  uuid: { get: (r) => r.uuid },
};

/** `role=` on a workspace's repository listing: the least permission the caller must hold. */
const ROLE_NEEDS: Record<string, RepoPermission> = { member: "read", contributor: "write", admin: "admin" };
const RANK: Record<RepoPermission, number> = { read: 1, write: 2, admin: 3 };

/**
 * `GET /2.0/repositories/{workspace}[?q=name~"text"][&role=member|contributor|admin]`: the
 * workspace's repositories the caller can read, as full repository objects, paged. A user's
 * token (scope `repository`) sees what the user can read, narrowed by `role` to those where the
 * user has read (member), write (contributor) or admin; an installation token its workspace's
 * repositories; a repository access token its own repository.
 */
export function workspaceReposRouter(deps: WorkspaceReposDeps): Router {
  const router = express.Router();
  router.get("/2.0/repositories/:ws", (req, res) => {
    const caller = callerOf(deps, req);
    if (!caller) return unauthorized(res, "Access token expired, missing or revoked");
    if (caller.kind === "user" && !hasScope(caller.access.scopes, "repository")) return lacksScope(res, caller.access.scopes, "repository");
    const ws = own(deps.state.data.workspaces, param(req, "ws"));
    if (!ws) return apiError(res, 404, `No workspace with identifier "${param(req, "ws")}"`);
    const role = req.query.role;
    if (role !== undefined && (typeof role !== "string" || !Object.hasOwn(ROLE_NEEDS, role))) {
      return apiError(res, 400, `Invalid role: give one of ${Object.keys(ROLE_NEEDS).join(", ")}`);
    }
    const needs = typeof role === "string" ? RANK[ROLE_NEEDS[role] as RepoPermission] : 1;
    const inWorkspace = Object.values(deps.state.data.repos).filter((r) => r.workspace === ws.slug);
    const visible =
      caller.kind === "user"
        ? readableRepos(deps.state, caller.access.user, ws.slug)
            .filter((r) => RANK[r.permission] >= needs)
            .map((r) => r.repo)
        : caller.kind === "installation"
          ? inWorkspace.filter(() => caller.workspace === ws.slug)
          : inWorkspace.filter((r) => {
              const grant = own(deps.state.data.repoAccessTokens, caller.token);
              return grant?.workspace === r.workspace && grant.repo === r.slug;
            });
    visible.sort((a, b) => a.slug.localeCompare(b.slug));
    sendFiltered(deps, req, res, visible, REPO_FIELDS, (r) => repositoryJson(deps.origin, r, ws));
  });
  return router;
}
