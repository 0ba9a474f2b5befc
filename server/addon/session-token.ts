import * as jwt from "atlassian-jwt";
import { z } from "zod";

/**
 * The panel's session token: the same shape ACE's `checkValidToken()` accepts and re-issues in
 * `X-acpt` (iss = add-on key, aud = [clientKey], sub = the user, 15 minutes, HS256 with the
 * installation's secret), plus a `context.hoist` naming the ONE repository the iframe was opened
 * for. Bitbucket signed that repository into the iframe URL (qsh), and ACE copies `context` into
 * every refreshed token, so the panel API can scope each call to it.
 */

export const PanelScopeSchema = z.object({
  workspace: z.string().min(1).max(100),
  repo: z.string().min(1).max(100),
  repoUuid: z.string().max(100).optional(),
  mainBranch: z.string().max(200).optional(),
});
export type PanelScope = z.infer<typeof PanelScopeSchema>;

export function mintSessionToken(input: { addonKey: string; clientKey: string; sharedSecret: string; sub: string; scope: PanelScope; ttlSeconds: number }): string {
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: input.addonKey, iat: now, sub: input.sub, exp: now + input.ttlSeconds, aud: [input.clientKey], context: { hoist: input.scope } };
  return jwt.encodeSymmetric(claims, input.sharedSecret, jwt.SymmetricAlgorithm.HS256);
}

/** The repository scope of verified session-token claims, or undefined when it carries none. */
export function scopeOf(claims: Record<string, unknown>): PanelScope | undefined {
  const context = claims.context as { hoist?: unknown } | undefined;
  const parsed = PanelScopeSchema.safeParse(context?.hoist);
  return parsed.success ? parsed.data : undefined;
}
