import type { Faults } from "./faults.ts";
import type { ForgeInstallation } from "./forge-installs.ts";
import { randomSecret } from "./ids.ts";
import type { UserAccess } from "./oauth-grants.ts";
import { own, type SandboxState } from "./state.ts";
import { findUser } from "./users.ts";

/** Forge's product tokens live 15 minutes in the sandbox (contract CHOICE). */
export const FORGE_TOKEN_TTL_MS = 15 * 60 * 1000;

/** What a Forge user token may do: what the user's OAuth token with the usual scopes may. */
const USER_TOKEN_SCOPES = ["account", "repository", "repository:write", "repository:admin"];

interface Held {
  kind: "system" | "user";
  installationId: string;
  workspace: string;
  nickname?: string;
  expiresAt: number;
}

/** A live Forge product token: the app for its installation's workspace, or the app acting as a user. */
export type ForgeGrant =
  | { kind: "system"; installationId: string; workspace: string }
  | { kind: "user"; installationId: string; workspace: string; access: UserAccess };

/**
 * The product tokens Forge sends beside a FIT: `x-forge-oauth-system` (Bearer for the
 * installation's workspace: reads its repositories, archives, src; posts build statuses) and
 * `x-forge-oauth-user` (Bearer acting as a user: exactly what that user's OAuth token opens).
 * Opaque, in memory, 15 minutes; an uninstall revokes its installation's tokens, and the
 * `forge.rejectProductTokens` fault makes every one of them unknown (401).
 */
export class ForgeProductTokens {
  private readonly tokens = new Map<string, Held>();

  constructor(
    private readonly state: SandboxState,
    private readonly faults: () => Faults,
  ) {}

  issueSystem(inst: ForgeInstallation): string {
    return this.issue({ kind: "system", installationId: inst.installationId, workspace: inst.workspace });
  }

  issueUser(inst: ForgeInstallation, nickname: string): string {
    return this.issue({ kind: "user", installationId: inst.installationId, workspace: inst.workspace, nickname });
  }

  /** The live grant behind a token; undefined when unknown, expired, revoked or refused by the fault switch. */
  lookup(token: string): ForgeGrant | undefined {
    const held = this.tokens.get(token);
    if (!held || held.expiresAt <= Date.now() || this.faults().forge.rejectProductTokens) return undefined;
    if (own(this.state.data.forgeInstallations, held.workspace)?.installationId !== held.installationId) return undefined;
    if (held.kind === "system") return { kind: "system", installationId: held.installationId, workspace: held.workspace };
    const user = findUser(this.state, held.nickname ?? "");
    if (!user) return undefined;
    return { kind: "user", installationId: held.installationId, workspace: held.workspace, access: { user, consumerKey: `forge:${held.installationId}`, scopes: USER_TOKEN_SCOPES } };
  }

  revokeInstallation(installationId: string): void {
    for (const [token, held] of this.tokens) if (held.installationId === installationId) this.tokens.delete(token);
  }

  private issue(grant: Omit<Held, "expiresAt">): string {
    this.sweep();
    const token = randomSecret();
    this.tokens.set(token, { ...grant, expiresAt: Date.now() + FORGE_TOKEN_TTL_MS });
    return token;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [token, held] of this.tokens) if (held.expiresAt <= now) this.tokens.delete(token);
  }
}
