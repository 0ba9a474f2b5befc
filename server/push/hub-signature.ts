import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Bitbucket's webhook secret check: `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw body>`
 * (Bitbucket Cloud signs with sha256 only; any other algorithm, a missing header or a digest of
 * the wrong length is refused). The comparison is constant-time over the 32 digest bytes.
 */
export type SignatureCheck = { ok: true } | { ok: false; reason: string };

const HEADER = /^sha256=([0-9a-f]{64})$/i;

/** Stands in for the secret of an address where no site is configured: the answer must not tell the two apart. */
const NO_SITE_SECRET = randomBytes(32).toString("hex");

/** `secret` undefined: no site at this address; the check then fails exactly as a wrong signature does. */
export function checkHubSignature(rawBody: Buffer, header: string | undefined, secret: string | undefined): SignatureCheck {
  if (!header) return { ok: false, reason: "the X-Hub-Signature header is missing (set a secret on the Bitbucket webhook)" };
  const match = HEADER.exec(header.trim());
  if (!match?.[1]) return { ok: false, reason: "X-Hub-Signature is not sha256=<64 hex digits>" };
  const expected = createHmac("sha256", secret ?? NO_SITE_SECRET).update(rawBody).digest();
  const given = Buffer.from(match[1], "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected) || secret === undefined) {
    return { ok: false, reason: "X-Hub-Signature does not match a webhook secret configured for this address" };
  }
  return { ok: true };
}

/** What Bitbucket sends for `rawBody` signed with `secret` (tests and the sandbox's twin). */
export function hubSignature(rawBody: Buffer | string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(rawBody).digest("hex")}`;
}
