import * as jwt from "atlassian-jwt";

/** Bitbucket's JWTs to add-ons live three minutes. */
export const JWT_LIFETIME_SECONDS = 180;

export interface AddonJwtInput {
  clientKey: string;
  sharedSecret: string;
  method: string;
  /** The absolute URL being requested (query included, jwt param excluded). */
  url: string;
  /** The add-on's baseUrl: qsh covers the path relative to it, as ACE computes it. */
  baseUrl: string;
  /** Who acts: a user's account id for iframes; the clientKey for server-to-server calls. */
  sub?: string;
  /** Clock skew fault: seconds added to the sandbox's clock for iat/exp. */
  skewSeconds?: number;
  context?: object;
}

/**
 * Signs a request from "Bitbucket" to an add-on: HS256 with the installation's
 * shared secret, iss = clientKey, qsh over method + relative path + sorted query.
 */
export function signAddonRequest(input: AddonJwtInput): string {
  const iat = Math.floor(Date.now() / 1000) + (input.skewSeconds ?? 0);
  const claims: Record<string, unknown> = {
    iss: input.clientKey,
    sub: input.sub ?? input.clientKey,
    iat,
    exp: iat + JWT_LIFETIME_SECONDS,
    qsh: queryStringHash(input.method, input.url, input.baseUrl),
  };
  if (input.context) claims.context = input.context;
  return jwt.encodeSymmetric(claims, input.sharedSecret, jwt.SymmetricAlgorithm.HS256);
}

export function queryStringHash(method: string, url: string, baseUrl?: string): string {
  return jwt.createQueryStringHash(jwt.fromMethodAndUrl(method, url), false, baseUrl);
}
