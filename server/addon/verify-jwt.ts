import * as jwt from "atlassian-jwt";
import type { Request } from "express";
import type { Addon } from "./ace.ts";

/**
 * Hoist's own checks on a Connect JWT, run BEFORE ACE's `authenticate()` / `checkValidToken()`
 * (ace.ts, item 6: requireJwt chains the two). Each check names what it checks:
 *
 *   one token only (query `jwt`, body `jwt` or `Authorization: JWT`; query AND body is refused)
 *   alg is HS256 (`none`, RS256 and the rest are refused before any key lookup)
 *   the issuer (or `aud[0]` for session tokens) is a stored installation
 *   the signature verifies with that installation's shared secret
 *   `exp` is present and not passed (no leeway, as ACE); `iat` is present and not in the future
 *   `qsh` is present and matches this method + path + query (requests from Bitbucket), or the
 *   token is a session token this add-on minted (panel API calls: no qsh, iss = add-on key)
 *   the query has at most MAX_QUERY_PARAMS parameters: Express (and atlassian-jwt's own parser)
 *   read only the first 1000, so a longer query would carry parameters the qsh never covered
 *
 * Every failure answers 401 through `reject`; nothing of the request is acted on.
 */

export type JwtMode = "request" | "session";
export type VerifiedJwt = { clientKey: string; claims: Record<string, unknown>; baseUrl: string };

/** Bitbucket's iframe and webhook URLs carry a handful of parameters; far more is an attack on the qsh. */
const MAX_QUERY_PARAMS = 100;

/** Bitbucket and Hoist clocks may differ a little; a token from further ahead than this is refused. */
const IAT_LEEWAY_SECONDS = 60;

export class JwtRejected extends Error {
  override name = "JwtRejected";
  constructor(
    message: string,
    /** Set when the token names an issuer that is not (yet) an installation: a fresh install may be verifying. */
    readonly unknownIssuer?: string,
  ) {
    super(message);
  }
}

export function extractToken(req: Request): string {
  const inQuery = typeof req.query.jwt === "string" ? req.query.jwt : undefined;
  const body = req.body as Record<string, unknown> | undefined;
  const inBody = body && typeof body === "object" && typeof body.jwt === "string" ? body.jwt : undefined;
  if (inQuery && inBody) throw new JwtRejected("the JWT must be sent once: in the query or in the body, not both");
  if (req.query.jwt !== undefined && !inQuery) throw new JwtRejected("the jwt query parameter must appear once");
  const header = req.headers.authorization;
  const inHeader = header?.startsWith("JWT ") ? header.slice(4).trim() : undefined;
  const token = inQuery ?? inBody ?? inHeader;
  if (!token) throw new JwtRejected("no JWT on the request: Bitbucket signs every call with one");
  return token;
}

type InstallationSecret = { sharedSecret?: string; baseUrl?: string };

/**
 * Shared secrets, cached briefly per process: a burst of 50 webhooks must not cost 50 store reads
 * before the first answer. Safe because a secret only ever moves forward (a re-install), which
 * the fresh read on a failed signature catches, and because whether an installation may deploy
 * is checked separately (installations.ts), uncached. Unknown issuers are not cached.
 */
const SECRET_TTL_MS = 10_000;
const MAX_CACHED_SECRETS = 10_000;
const secrets = new WeakMap<Addon, Map<string, { settings: InstallationSecret; until: number }>>();

async function installationSecret(addon: Addon, clientKey: string, fresh: boolean): Promise<InstallationSecret | null> {
  let cache = secrets.get(addon);
  if (!cache) {
    cache = new Map();
    secrets.set(addon, cache);
  }
  const hit = cache.get(clientKey);
  if (!fresh && hit && hit.until > Date.now()) return hit.settings;
  const settings = (await addon.settings.get("clientInfo", clientKey)) as InstallationSecret | null;
  if (cache.size >= MAX_CACHED_SECRETS) cache.clear();
  if (settings?.sharedSecret) cache.set(clientKey, { settings, until: Date.now() + SECRET_TTL_MS });
  else cache.delete(clientKey);
  return settings;
}

function decodeWith(token: string, secret: string): Record<string, unknown> | undefined {
  try {
    return jwt.decodeSymmetric(token, secret, jwt.SymmetricAlgorithm.HS256) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Drops a cached secret: after an install or uninstall this process must never use the old one. */
export function forgetSecret(addon: Addon, clientKey: string): void {
  secrets.get(addon)?.delete(clientKey);
}

/**
 * Verifies a request's JWT. `fresh` reads the secret from the store, uncached: lifecycle calls
 * (re-install, uninstall) must be checked against exactly the secret stored now.
 */
export async function verifyJwt(addon: Addon, req: Request, mode: JwtMode, opts: { fresh?: boolean } = {}): Promise<VerifiedJwt> {
  const token = extractToken(req);
  let alg: string | undefined;
  let unverified: Record<string, unknown>;
  try {
    alg = jwt.getAlgorithm(token) as string | undefined;
    if (alg !== "HS256") throw new Error("alg");
    unverified = jwt.decodeSymmetric(token, "", jwt.SymmetricAlgorithm.HS256, true) as Record<string, unknown>;
  } catch {
    throw new JwtRejected(`the JWT must be a well-formed HS256 token${alg && alg !== "HS256" ? ` (got alg ${String(alg).slice(0, 10)})` : ""}`);
  }
  const aud = Array.isArray(unverified.aud) ? unverified.aud[0] : undefined;
  const clientKey = typeof aud === "string" && aud ? aud : unverified.iss;
  if (typeof clientKey !== "string" || !clientKey) throw new JwtRejected("the JWT names no issuer (iss)");
  let settings = await installationSecret(addon, clientKey, opts.fresh ?? false);
  if (!settings?.sharedSecret) throw new JwtRejected("the JWT's issuer is not an installation of this add-on", clientKey);
  let claims: Record<string, unknown> | undefined = decodeWith(token, settings.sharedSecret);
  if (!claims) {
    // The cached secret may predate a re-install: read it again before refusing.
    settings = await installationSecret(addon, clientKey, true);
    claims = settings?.sharedSecret ? decodeWith(token, settings.sharedSecret) : undefined;
  }
  if (!claims || !settings) throw new JwtRejected("the JWT's signature does not verify with the installation's shared secret");
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== "number" || claims.exp <= now) throw new JwtRejected("the JWT has expired (exp); reload the page");
  if (typeof claims.iat !== "number" || claims.iat > now + IAT_LEEWAY_SECONDS) throw new JwtRejected("the JWT is issued in the future (iat)");
  if (mode === "request") {
    const query = req.originalUrl.split("?").slice(1).join("?");
    if (query.split("&").length > MAX_QUERY_PARAMS) throw new JwtRejected(`the query has more than ${MAX_QUERY_PARAMS} parameters, more than the qsh can be checked over`);
    const expected = jwt.createQueryStringHash(jwt.fromExpressRequest(req), false, String(addon.descriptor.baseUrl));
    if (claims.qsh !== expected) throw new JwtRejected("the JWT's qsh does not match this request's method, path and query");
  } else if (claims.iss !== addon.key || claims.qsh !== undefined) {
    throw new JwtRejected("API calls take the session token from the panel page (X-acpt), not a Bitbucket request token");
  }
  return { clientKey, claims, baseUrl: settings.baseUrl ?? "" };
}
