import type { Request, Response } from "express";
import { type RepoTokenScope, repoTokenAllows } from "./repo-access-tokens.ts";
import type { SandboxState } from "./state.ts";
import type { AccessTokens } from "./tokens.ts";

/** Bitbucket's 2.0 error body. */
export function apiError(res: Response, status: number, message: string): void {
  res.status(status).json({ type: "error", error: { message } });
}

/**
 * Checks `Authorization: Bearer <token>` for `workspace/repo`: either a token from an
 * installation in `workspace` (a token from workspace A opens nothing in B), or a repository
 * access token for exactly this repository carrying `scope`. Answers 401 itself and returns
 * false when the check fails.
 */
export function checkBearer(
  tokens: AccessTokens,
  state: SandboxState,
  req: Request,
  res: Response,
  workspace: string,
  repo: string,
  scope: RepoTokenScope = "repository",
): boolean {
  const match = /^Bearer (\S+)$/.exec(req.get("authorization") ?? "");
  const token = match?.[1];
  const grant = token ? tokens.lookup(token) : undefined;
  if (grant && state.data.installations[grant.clientKey] && grant.workspace === workspace) return true;
  if (token && repoTokenAllows(state, token, workspace, repo, scope)) return true;
  res.set("www-authenticate", 'Bearer realm="Bitbucket"');
  apiError(res, 401, "Access token expired, missing, not for this repository or without the needed scope: get one from /site/oauth2/access_token or create a repository access token");
  return false;
}
