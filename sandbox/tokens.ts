import { randomSecret } from "./ids.ts";

export interface AccessToken {
  clientKey: string;
  workspace: string;
  scopes: string[];
  expiresAt: number; // ms since epoch
}

/**
 * Bearer tokens handed out by the token endpoint. Kept in memory only: after a
 * sandbox restart an add-on simply asks for a new one, as it must after expiry.
 */
export class AccessTokens {
  private readonly tokens = new Map<string, AccessToken>();

  issue(grant: Omit<AccessToken, "expiresAt">, ttlSeconds: number): string {
    this.sweep();
    const token = randomSecret();
    this.tokens.set(token, { ...grant, expiresAt: Date.now() + ttlSeconds * 1000 });
    return token;
  }

  /** The live grant behind a token, or undefined when unknown or expired. */
  lookup(token: string): AccessToken | undefined {
    const grant = this.tokens.get(token);
    if (!grant || grant.expiresAt <= Date.now()) return undefined;
    return grant;
  }

  revokeInstallation(clientKey: string): void {
    for (const [token, grant] of this.tokens) if (grant.clientKey === clientKey) this.tokens.delete(token);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [token, grant] of this.tokens) if (grant.expiresAt <= now) this.tokens.delete(token);
  }
}
