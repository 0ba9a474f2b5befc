import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Bitbucket's webhook secret check: `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw body>`
 * (Bitbucket Cloud signs with sha256 only; any other algorithm, a missing header or a digest of
 * the wrong length is refused). The comparison is constant-time over the 32 digest bytes.
 */
export type SignatureCheck = { ok: true } | { ok: false; reason: string };

const HEADER = /^sha256=([0-9a-f]{64})$/i;

export function checkHubSignature(rawBody: Buffer, header: string | undefined, secret: string): SignatureCheck {
  if (!header) return { ok: false, reason: "the X-Hub-Signature header is missing (set a secret on the Bitbucket webhook)" };
  const match = HEADER.exec(header.trim());
  if (!match?.[1]) return { ok: false, reason: "X-Hub-Signature is not sha256=<64 hex digits>" };
  const expected = createHmac("sha256", secret).update(rawBody).digest();
  const given = Buffer.from(match[1], "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: "X-Hub-Signature does not match the webhook secret configured for this site" };
  }
  return { ok: true };
}

/** What Bitbucket sends for `rawBody` signed with `secret` (tests and the sandbox's twin). */
export function hubSignature(rawBody: Buffer | string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(rawBody).digest("hex")}`;
}
