import * as jwt from "atlassian-jwt";
import express, { type Request, type Response, type Router } from "express";
import { z } from "zod";
import { queryStringHash } from "./connect-jwt.ts";
import { CODE_GRANT_TYPES, type CodeGrantType, userTokenGrant } from "./oauth-code-grant.ts";
import { OAuthError } from "./oauth-error.ts";
import type { UserGrants } from "./oauth-grants.ts";
import type { Installation, SandboxState } from "./state.ts";
import type { AccessTokens } from "./tokens.ts";

export const TOKEN_PATH = "/site/oauth2/access_token";
const GRANT_TYPE = "urn:bitbucket:oauth2:jwt";
/** Leeway for the add-on's clock running ahead of ours when checking `iat`. */
const IAT_LEEWAY_SECONDS = 60;

export interface OAuthDeps {
  state: SandboxState;
  tokens: AccessTokens;
  grants: UserGrants;
  tokenTtlSeconds: () => number;
}

const formSchema = z.object({ grant_type: z.string() });

/**
 * `POST /site/oauth2/access_token`. With `grant_type=urn:bitbucket:oauth2:jwt` a Connect add-on
 * trades a JWT signed with its installation's shared secret for a short-lived bearer token
 * scoped to that installation's workspace; with `authorization_code` or `refresh_token` an OAuth
 * consumer gets a user's tokens (see oauth-code-grant.ts).
 */
export function oauthRouter(deps: OAuthDeps): Router {
  const router = express.Router();
  router.post(TOKEN_PATH, express.urlencoded({ extended: false, limit: "256kb" }), (req: Request, res: Response) => {
    try {
      const form = formSchema.safeParse(req.body ?? {});
      if (!form.success) throw new OAuthError(400, "invalid_request", "grant_type is required");
      const grantType = form.data.grant_type;
      const body = CODE_GRANT_TYPES.includes(grantType as CodeGrantType) ? userTokenGrant(deps, req, grantType as CodeGrantType) : jwtGrant(deps, req, grantType);
      res.set("cache-control", "no-store");
      res.json(body);
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      if (err.status === 401 && err.error === "invalid_client" && /^Basic /i.test(req.get("authorization") ?? "")) {
        res.set("www-authenticate", 'Basic realm="Bitbucket"');
      }
      res.status(err.status).json({ error: err.error, error_description: err.message });
    }
  });
  return router;
}

function jwtGrant(deps: OAuthDeps, req: Request, grantType: string) {
  const installation = authenticate(deps, req, grantType);
  const ttl = deps.tokenTtlSeconds();
  const scopes = installation.descriptor.scopes;
  const grant = { clientKey: installation.clientKey, workspace: installation.workspace, scopes };
  const accessToken = deps.tokens.issue(grant, ttl);
  return { access_token: accessToken, scopes: scopes.join(" "), expires_in: ttl, token_type: "bearer" };
}

function authenticate(deps: OAuthDeps, req: Request, grantType: string): Installation {
  if (grantType !== GRANT_TYPE) {
    throw new OAuthError(400, "unsupported_grant_type", `grant_type must be ${GRANT_TYPE}, authorization_code or refresh_token`);
  }
  const header = req.get("authorization") ?? "";
  const match = /^JWT ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/.exec(header);
  if (!match?.[1]) throw new OAuthError(401, "invalid_client", "send the JWT as 'Authorization: JWT <token>'");
  return verifyGrantJwt(deps, req, match[1]);
}

/** Every check the JWT must pass, each failing with a message naming it. */
function verifyGrantJwt(deps: OAuthDeps, req: Request, token: string): Installation {
  let unverified: Record<string, unknown>;
  try {
    if (jwt.getAlgorithm(token) !== "HS256") throw new Error("alg");
    unverified = jwt.decodeSymmetric(token, "", jwt.SymmetricAlgorithm.HS256, true);
  } catch {
    throw new OAuthError(401, "invalid_grant", "the JWT must be a well-formed HS256 token");
  }
  const installation = deps.state.data.installations[String(unverified.sub ?? "")];
  if (!installation) throw new OAuthError(401, "invalid_grant", "sub is not the clientKey of an installed add-on");
  if (unverified.iss !== installation.addonKey) throw new OAuthError(401, "invalid_grant", "iss must be the add-on key");
  let claims: Record<string, unknown>;
  try {
    claims = jwt.decodeSymmetric(token, installation.sharedSecret, jwt.SymmetricAlgorithm.HS256);
  } catch {
    throw new OAuthError(401, "invalid_grant", "JWT signature does not verify with the installation's shared secret");
  }
  checkTimes(claims);
  const expected = queryStringHash("POST", req.originalUrl);
  if (claims.qsh !== expected) throw new OAuthError(401, "invalid_grant", `qsh must hash "POST&${TOKEN_PATH}&"`);
  return installation;
}

function checkTimes(claims: Record<string, unknown>): void {
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== "number" || claims.exp <= now) throw new OAuthError(401, "invalid_grant", "JWT has expired (exp)");
  if (typeof claims.iat !== "number" || claims.iat > now + IAT_LEEWAY_SECONDS) {
    throw new OAuthError(401, "invalid_grant", "JWT is issued in the future (iat)");
  }
}
