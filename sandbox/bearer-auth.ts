import type { NextFunction, Request, Response } from "express";
import type { ForgeProductTokens } from "./forge-tokens.ts";
import type { UserAccess, UserGrants } from "./oauth-grants.ts";
import { type RepoTokenScope, repoTokenAllows } from "./repo-access-tokens.ts";
import { hasScope } from "./scopes.ts";
import type { SandboxState } from "./state.ts";
import type { AccessTokens } from "./tokens.ts";
import { atLeast, permissionOf, type RepoPermission } from "./users.ts";

/** Bitbucket's 2.0 error body; `extra` adds what Bitbucket adds beside the message (`detail`, `fields`). */
export function apiError(res: Response, status: number, message: string, extra?: Record<string, unknown>): void {
  res.status(status).json({ type: "error", error: { message, ...extra } });
}

export interface BearerDeps {
  state: SandboxState;
  tokens: AccessTokens;
  grants: UserGrants;
  /** Forge's product tokens (x-forge-oauth-system / x-forge-oauth-user), when the sandbox plays Forge. */
  forgeTokens?: ForgeProductTokens;
}

/** What a request needs of each kind of token on a repository route. */
export interface RepoNeed {
  /** A repository access token must carry this scope (write implies read). */
  repoTokenScope: RepoTokenScope;
  /** A user token's user must hold this permission on the repository… */
  permission: RepoPermission;
  /** …and the token must carry this OAuth scope. */
  scope: string;
}

/** Reading a repository: its JSON, src, branches, archives, statuses. */
export const READ: RepoNeed = { repoTokenScope: "repository", permission: "read", scope: "repository" };
/**
 * Posting a build status. Atlassian documents the statuses endpoints under the `repository`
 * scope, so a user token needs only that scope, but its user needs write; a repository access
 * token still needs `repository:write`, as before.
 */
export const POST_STATUS: RepoNeed = { repoTokenScope: "repository:write", permission: "write", scope: "repository" };

/** Bitbucket's answer for a repository the caller cannot see: the same as for one that does not exist. */
export const NO_SUCH_REPO =
  "You may not have access to this repository or it no longer exists in this workspace. If you think this repository exists and you have access, make sure you are authenticated.";

const QUERY_TOKEN_REFUSED = "Access tokens are not accepted in the query string: send them as 'Authorization: Bearer <token>'";

/**
 * Bitbucket no longer takes `?access_token=`: every /2.0 request carrying one is refused with
 * 401, whatever its Authorization header says.
 */
export function refuseQueryTokens(req: Request, res: Response, next: NextFunction): void {
  if (req.query.access_token === undefined) next();
  else unauthorized(res, QUERY_TOKEN_REFUSED);
}

function bearerToken(req: Request): string | undefined {
  if (req.query.access_token !== undefined) return undefined;
  return /^Bearer (\S+)$/.exec(req.get("authorization") ?? "")?.[1];
}

export function unauthorized(res: Response, message: string): void {
  res.set("www-authenticate", 'Bearer realm="Bitbucket"');
  apiError(res, 401, message);
}

export function lacksScope(res: Response, granted: string[], required: string): void {
  apiError(res, 403, "Your credentials lack one or more required privilege scopes.", { detail: { granted, required: [required] } });
}

/**
 * Checks `Authorization: Bearer <token>` for `workspace/repo`. These kinds of token open it:
 * - a token from an installation in `workspace` (a token from workspace A opens nothing in B),
 *   or a Forge app system token of an installation in `workspace`;
 * - a repository access token for exactly this repository carrying `need.repoTokenScope`;
 * - a user's OAuth token (or a Forge app user token) carrying `need.scope` whose user holds
 *   `need.permission` here.
 * Answers itself and returns false when the check fails: 401 for a missing, unknown or expired
 * token; for user tokens also 403 (scope or permission short) and 404 (no such repository, or
 * one the user cannot read).
 */
export function checkBearer(deps: BearerDeps, req: Request, res: Response, workspace: string, repo: string, need: RepoNeed = READ): boolean {
  const token = bearerToken(req);
  const grant = token ? deps.tokens.lookup(token) : undefined;
  if (grant && deps.state.data.installations[grant.clientKey] && grant.workspace === workspace) return true;
  if (token && repoTokenAllows(deps.state, token, workspace, repo, need.repoTokenScope)) return true;
  const forge = token ? deps.forgeTokens?.lookup(token) : undefined;
  if (forge?.kind === "system" && forge.workspace === workspace) return true;
  const access = token ? (deps.grants.lookup(token) ?? (forge?.kind === "user" ? forge.access : undefined)) : undefined;
  if (access) return userMay(deps, res, access, workspace, repo, need);
  unauthorized(
    res,
    req.query.access_token !== undefined
      ? QUERY_TOKEN_REFUSED
      : "Access token expired, missing, not for this repository or without the needed scope: get one from /site/oauth2/access_token or create a repository access token",
  );
  return false;
}

/**
 * Whether `access` may do what `need` says on workspace/repo; answers 403/404 itself when not.
 * Routes only users reach (webhooks) call it after requireUser.
 */
export function userMay(deps: BearerDeps, res: Response, access: UserAccess, workspace: string, repo: string, need: Omit<RepoNeed, "repoTokenScope">): boolean {
  if (!hasScope(access.scopes, need.scope)) {
    lacksScope(res, access.scopes, need.scope);
    return false;
  }
  const held = permissionOf(deps.state, access.user, workspace, repo);
  if (held === "none") {
    apiError(res, 404, NO_SUCH_REPO);
    return false;
  }
  if (!atLeast(held, need.permission)) {
    apiError(res, 403, `Access denied. You must have ${need.permission === "admin" ? "admin" : "write or admin"} access.`);
    return false;
  }
  return true;
}

/**
 * For routes about the caller (/2.0/user…): the user behind a Bearer OAuth token carrying
 * `scope`. Answers 401 (no live user token; installation and repository tokens included: they
 * have no user) or 403 (scope missing) itself and returns undefined.
 */
export function requireUser(deps: BearerDeps, req: Request, res: Response, scope: string): UserAccess | undefined {
  const token = bearerToken(req);
  const access = token ? (deps.grants.lookup(token) ?? forgeUser(deps, token)) : undefined;
  if (!access) {
    unauthorized(
      res,
      req.query.access_token !== undefined
        ? QUERY_TOKEN_REFUSED
        : "This endpoint needs a user's access token (OAuth authorization code grant); it is missing, expired or revoked",
    );
    return undefined;
  }
  if (!hasScope(access.scopes, scope)) {
    lacksScope(res, access.scopes, scope);
    return undefined;
  }
  return access;
}

/** The token's kind, for routes that list what it can see (see workspace-repos.ts). */
export type Caller = { kind: "installation"; workspace: string } | { kind: "repository-token"; token: string } | { kind: "user"; access: UserAccess };

export function callerOf(deps: BearerDeps, req: Request): Caller | undefined {
  const token = bearerToken(req);
  if (!token) return undefined;
  const grant = deps.tokens.lookup(token);
  if (grant && deps.state.data.installations[grant.clientKey]) return { kind: "installation", workspace: grant.workspace };
  if (Object.hasOwn(deps.state.data.repoAccessTokens ?? {}, token)) return { kind: "repository-token", token };
  const forge = deps.forgeTokens?.lookup(token);
  if (forge?.kind === "system") return { kind: "installation", workspace: forge.workspace };
  const access = deps.grants.lookup(token) ?? (forge?.kind === "user" ? forge.access : undefined);
  return access && { kind: "user", access };
}

/** The user a Forge app user token acts as (undefined for any other token). */
function forgeUser(deps: BearerDeps, token: string): UserAccess | undefined {
  const forge = deps.forgeTokens?.lookup(token);
  return forge?.kind === "user" ? forge.access : undefined;
}
