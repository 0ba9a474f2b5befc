import { decodeJwt } from "jose";
import type { ForgeToken } from "../bitbucket/client.ts";

/**
 * Forge's product tokens (docs/forge.md, "Tokens"). Forge sends them with each invocation
 * (`x-forge-oauth-system`: the app acting for the installation; `x-forge-oauth-user`: the app acting
 * as the viewing user). Hoist keeps them in memory only — never in a table, never in a log — and
 * only as long as they live: a token that is a JWT lives until its `exp`; an opaque one is assumed
 * to live ASSUMED_LIFETIME_MS (Forge's are short-lived). The newest system token of an installation
 * is what its deploys fetch archives and post build statuses with; each event or panel call
 * refreshes it.
 */

export const ASSUMED_LIFETIME_MS = 10 * 60_000;

export class ForgeTokenExpired extends Error {
  override name = "ForgeTokenExpired";
}

type Held = { token: string; expiresAt: number; apiBaseUrl: string };

export class ProductTokens {
  private readonly system = new Map<string, Held>();

  constructor(
    private readonly webBaseUrl: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Keeps the installation's newest system token (a later one replaces it). */
  rememberSystem(installationId: string, token: string | undefined, apiBaseUrl: string): void {
    if (!token) return;
    this.sweep();
    this.system.set(installationId, { token, expiresAt: this.expiryOf(token), apiBaseUrl });
  }

  /** The installation's system token as credentials, or undefined when Hoist holds none that lives. */
  systemCredentials(installationId: string): ForgeToken | undefined {
    const held = this.live(installationId);
    if (!held) return undefined;
    return {
      kind: "forge",
      installationId,
      baseUrl: this.webBaseUrl,
      baseApiUrl: held.apiBaseUrl,
      token: async () => {
        const now = this.live(installationId);
        if (!now) throw new ForgeTokenExpired("Forge's token for this installation has expired; the next push or panel visit brings a new one");
        return now.token;
      },
    };
  }

  /** One request's user token as credentials (not kept). */
  userCredentials(installationId: string, token: string, apiBaseUrl: string): ForgeToken {
    return { kind: "forge", installationId, baseUrl: this.webBaseUrl, baseApiUrl: apiBaseUrl, token: async () => token };
  }

  private live(installationId: string): Held | undefined {
    const held = this.system.get(installationId);
    return held && held.expiresAt > this.now() ? held : undefined;
  }

  private expiryOf(token: string): number {
    try {
      const { exp } = decodeJwt(token);
      if (typeof exp === "number") return Math.min(exp * 1000, this.now() + 24 * 3600_000);
    } catch {
      // Opaque: assume the short lifetime below.
    }
    return this.now() + ASSUMED_LIFETIME_MS;
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, held] of this.system) if (held.expiresAt <= now) this.system.delete(id);
  }
}
