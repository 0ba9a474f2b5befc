import type { Request, Response } from "express";
import type { SandboxState } from "./state.ts";
import type { AccessToken, AccessTokens } from "./tokens.ts";

/** Bitbucket's 2.0 error body. */
export function apiError(res: Response, status: number, message: string): void {
  res.status(status).json({ type: "error", error: { message } });
}

/**
 * Checks `Authorization: Bearer <token>` from an installation in `workspace`:
 * a token from workspace A opens nothing in B. Answers 401 itself and returns
 * undefined when the check fails.
 */
export function checkBearer(
  tokens: AccessTokens,
  state: SandboxState,
  req: Request,
  res: Response,
  workspace: string,
): AccessToken | undefined {
  const match = /^Bearer (\S+)$/.exec(req.get("authorization") ?? "");
  const grant = match?.[1] ? tokens.lookup(match[1]) : undefined;
  if (grant && state.data.installations[grant.clientKey] && grant.workspace === workspace) return grant;
  res.set("www-authenticate", 'Bearer realm="Bitbucket"');
  apiError(res, 401, "Access token expired, missing or not for this workspace: get one from /site/oauth2/access_token");
  return undefined;
}
