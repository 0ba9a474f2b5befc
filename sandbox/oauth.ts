import * as jwt from "atlassian-jwt";
import express, { type Request, type Response, type Router } from "express";
import { z } from "zod";
import { queryStringHash } from "./connect-jwt.ts";
import type { Installation, SandboxState } from "./state.ts";
import type { AccessTokens } from "./tokens.ts";

export const TOKEN_PATH = "/site/oauth2/access_token";
const GRANT_TYPE = "urn:bitbucket:oauth2:jwt";
/** Leeway for the add-on's clock running ahead of ours when checking `iat`. */
const IAT_LEEWAY_SECONDS = 60;

export interface OAuthDeps {
  state: SandboxState;
  tokens: AccessTokens;
  tokenTtlSeconds: () => number;
}

/** An OAuth error as Bitbucket answers it: `{error, error_description}`. */
class OAuthError extends Error {
  constructor(readonly status: 400 | 401, readonly error: string, description: string) {
    super(description);
  }
}

const formSchema = z.object({ grant_type: z.string() });

/**
 * `POST /site/oauth2/access_token` with `grant_type=urn:bitbucket:oauth2:jwt`:
 * a Connect add-on trades a JWT signed with its installation's shared secret for
 * a short-lived bearer token scoped to that installation's workspace.
 */
export function oauthRouter(deps: OAuthDeps): Router {
  const router = express.Router();
  router.post(TOKEN_PATH, express.urlencoded({ extended: false, limit: "256kb" }), (req: Request, res: Response) => {
    try {
      const installation = authenticate(deps, req);
      const ttl = deps.tokenTtlSeconds();
      const scopes = installation.descriptor.scopes;
      const grant = { clientKey: installation.clientKey, workspace: installation.workspace, scopes };
      const accessToken = deps.tokens.issue(grant, ttl);
      res.set("cache-control", "no-store");
      res.json({ access_token: accessToken, scopes: scopes.join(" "), expires_in: ttl, token_type: "bearer" });
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      res.status(err.status).json({ error: err.error, error_description: err.message });
    }
  });
  return router;
}

function authenticate(deps: OAuthDeps, req: Request): Installation {
  const form = formSchema.safeParse(req.body ?? {});
  if (!form.success) throw new OAuthError(400, "invalid_request", "grant_type is required");
  if (form.data.grant_type !== GRANT_TYPE) {
    throw new OAuthError(400, "unsupported_grant_type", `grant_type must be ${GRANT_TYPE}`);
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
