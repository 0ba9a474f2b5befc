import { createHash } from "node:crypto";

/**
 * Access tokens per installation, reused until `REFRESH_MARGIN_MS` before they expire.
 * Keyed by clientKey AND a hash of the shared secret, so a re-install (new secret) never
 * reuses a token minted with the old one. Concurrent callers share one exchange.
 */
const REFRESH_MARGIN_MS = 60_000;

type Entry = { secretHash: string; token: Promise<{ token: string; expiresAt: number }> };

export class TokenCache {
  private readonly entries = new Map<string, Entry>();

  async get(clientKey: string, secret: string, exchange: () => Promise<{ token: string; expiresInSeconds: number }>): Promise<string> {
    const secretHash = createHash("sha256").update(secret).digest("hex");
    const cached = this.entries.get(clientKey);
    if (cached && cached.secretHash === secretHash) {
      const value = await cached.token.catch(() => undefined);
      if (value && value.expiresAt - REFRESH_MARGIN_MS > Date.now()) return value.token;
      if (this.entries.get(clientKey) !== cached) return this.get(clientKey, secret, exchange);
    }
    const token = exchange().then((t) => ({ token: t.token, expiresAt: Date.now() + t.expiresInSeconds * 1000 }));
    const entry = { secretHash, token };
    this.entries.set(clientKey, entry);
    try {
      return (await token).token;
    } catch (err) {
      if (this.entries.get(clientKey) === entry) this.entries.delete(clientKey);
      throw err;
    }
  }

  forget(clientKey: string): void {
    this.entries.delete(clientKey);
  }
}
