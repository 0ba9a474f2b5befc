import type { Request } from "express";
import { z } from "zod";
import { authenticateClient, type OAuthConsumer } from "./oauth-consumers.ts";
import { OAuthError } from "./oauth-error.ts";
import { GrantRefused, type IssuedTokens, type UserGrants } from "./oauth-grants.ts";
import type { SandboxState } from "./state.ts";

export const CODE_GRANT_TYPES = ["authorization_code", "refresh_token"] as const;
export type CodeGrantType = (typeof CODE_GRANT_TYPES)[number];

export interface CodeGrantDeps {
  state: SandboxState;
  grants: UserGrants;
}

const codeForm = z.object({ code: z.string().min(1), redirect_uri: z.string().optional() });
const refreshForm = z.object({ refresh_token: z.string().min(1) });

/**
 * The token endpoint for OAuth consumers: `authorization_code` (the code from
 * /site/oauth2/authorize) and `refresh_token` (rotating: the answer carries a new refresh token
 * and the one sent stops working). The consumer authenticates with HTTP Basic or the form
 * fields client_id/client_secret.
 */
export function userTokenGrant(deps: CodeGrantDeps, req: Request, grantType: CodeGrantType) {
  const consumer = authenticateClient(deps.state, req);
  if (!consumer) throw new OAuthError(401, "invalid_client", "client authentication failed: send the consumer key and secret with HTTP Basic");
  try {
    return tokenResponse(grantType === "authorization_code" ? exchangeCode(deps, req, consumer) : exchangeRefresh(deps, req, consumer));
  } catch (err) {
    if (err instanceof GrantRefused) throw new OAuthError(400, "invalid_grant", err.message);
    throw err;
  }
}

function exchangeCode(deps: CodeGrantDeps, req: Request, consumer: OAuthConsumer): IssuedTokens {
  const form = codeForm.safeParse(req.body ?? {});
  if (!form.success) throw new OAuthError(400, "invalid_request", "code is required");
  return deps.grants.redeemCode(consumer, form.data.code, form.data.redirect_uri);
}

function exchangeRefresh(deps: CodeGrantDeps, req: Request, consumer: OAuthConsumer): IssuedTokens {
  const form = refreshForm.safeParse(req.body ?? {});
  if (!form.success) throw new OAuthError(400, "invalid_request", "refresh_token is required");
  return deps.grants.refresh(consumer, form.data.refresh_token);
}

/** Bitbucket's answer: `scopes` as it has always sent it, `scope` as RFC 6749 names it. */
function tokenResponse(tokens: IssuedTokens) {
  const scope = tokens.scopes.join(" ");
  return {
    access_token: tokens.accessToken,
    token_type: "bearer",
    expires_in: tokens.expiresIn,
    refresh_token: tokens.refreshToken,
    scope,
    scopes: scope,
  };
}
