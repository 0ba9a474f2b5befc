import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from "jose";
import { z } from "zod";

/**
 * Forge Invocation Tokens (docs/forge.md, "Trust"). Every request Forge makes to Hoist carries one
 * as `Authorization: Bearer <FIT>`; nothing of a request's meaning is read before `verify` passes:
 *   - RS256 only (jose refuses `none`, and HS256 "signed" with a public key, by the allow-list);
 *   - a key from Forge's JWKS by `kid` (fetched, cached, fetched again for a `kid` it has not seen,
 *     so Forge can rotate keys; a `kid` the JWKS does not list is refused);
 *   - `iss` = "forge/invocation-token", `aud` = this app's id, `exp`/`nbf` with 30 s of clock skew;
 *   - then the claims Hoist keys everything by: the installation, the workspace, and the API base
 *     URL to call Bitbucket at. A FIT without a workspace is refused.
 */

export const FORGE_ISSUER = "forge/invocation-token";

/** What a verified FIT says, and all Hoist takes from it. */
export type Fit = {
  appId: string;
  installationId: string;
  /** Bitbucket's API base for this installation (product tokens are used against it only). */
  apiBaseUrl: string;
  /** The workspace the invocation is in, as Bitbucket's UUID in braces. */
  workspaceUuid: string;
  /** The user behind a UI invocation; absent for events. */
  principal?: string;
  moduleKey?: string;
};

export class FitError extends Error {
  override name = "FitError";
}

const Uuid = /^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$/i;

const Claims = z.object({
  app: z.object({
    id: z.string().min(1).max(200),
    installationId: z.string().regex(/^ari:cloud:ecosystem::installation\/[0-9a-f-]{36}$/i, "is not an installation id"),
    apiBaseUrl: z.string().url().max(500),
    module: z.object({ key: z.string().max(200) }).partial().optional(),
  }),
  context: z.object({ workspaceId: z.string().regex(Uuid, "is not a workspace UUID"), moduleKey: z.string().max(200).optional() }),
  principal: z.string().min(1).max(200).optional(),
});

export type FitVerifierOptions = {
  appId: string;
  jwksUrl: string;
  /** Production: the API base URL a FIT names must be https. */
  production: boolean;
  /** How long after fetching the JWKS no new fetch is made for an unknown `kid` (tests: 0). */
  cooldownMs?: number;
};

export class FitVerifier {
  private readonly keys: JWTVerifyGetKey;

  constructor(private readonly opts: FitVerifierOptions) {
    this.keys = createRemoteJWKSet(new URL(opts.jwksUrl), { cooldownDuration: opts.cooldownMs ?? 30_000, cacheMaxAge: 10 * 60_000, timeoutDuration: 5_000 });
  }

  /** The verified claims of an `Authorization` header, or a FitError saying what was wrong (never echoing the token). */
  async verify(authorization: string | undefined): Promise<Fit> {
    const token = /^Bearer ([\w-]+\.[\w-]*\.[\w-]*)$/.exec(authorization ?? "")?.[1];
    if (!token) throw new FitError("no Forge Invocation Token (Authorization: Bearer <FIT>)");
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.keys, { algorithms: ["RS256"], issuer: FORGE_ISSUER, audience: this.opts.appId, clockTolerance: 30, requiredClaims: ["exp", "iat"] }));
    } catch (err) {
      throw new FitError(whyRefused(err));
    }
    const claims = Claims.safeParse(payload);
    if (!claims.success) {
      const first = claims.error.issues[0];
      throw new FitError(`the token's claims are not a Forge invocation's (${first ? `${first.path.join(".")} ${first.message}` : "invalid"})`);
    }
    const { app, context, principal } = claims.data;
    if (app.id !== this.opts.appId) throw new FitError("the token names another app");
    const api = new URL(app.apiBaseUrl);
    if (this.opts.production && api.protocol !== "https:") throw new FitError("the token's API base URL is not https");
    return {
      appId: app.id,
      installationId: app.installationId,
      apiBaseUrl: `${api.origin}${api.pathname.replace(/\/+$/, "")}`,
      workspaceUuid: context.workspaceId.toLowerCase(),
      ...(principal ? { principal } : {}),
      ...((context.moduleKey ?? app.module?.key) ? { moduleKey: context.moduleKey ?? app.module?.key } : {}),
    };
  }
}

function whyRefused(err: unknown): string {
  if (err instanceof errors.JWTExpired) return "the token has expired";
  if (err instanceof errors.JWTClaimValidationFailed) return `the token's ${err.claim} claim is not this app's`;
  if (err instanceof errors.JWKSNoMatchingKey) return "the token was signed with a key Forge does not publish";
  if (err instanceof errors.JOSEAlgNotAllowed) return "the token is not signed with RS256";
  if (err instanceof errors.JWSSignatureVerificationFailed) return "the token's signature does not verify";
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return "Forge's signing keys could not be read";
  if (err instanceof errors.JOSEError) return `the token is not valid (${err.code})`;
  return "the token could not be verified";
}
