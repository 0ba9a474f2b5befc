import type { Addon } from "./ace.ts";

/**
 * Hoist's view of a Connect installation. ACE stores the credentials (`clientInfo`: the install
 * payload, shared secret included); Hoist keeps its own state beside it under `hoist:installation`
 * in the same store, keyed by the authenticated clientKey:
 *
 *   installed (unverified) ──token exchange ok──▶ verified ──uninstalled──▶ uninstalled
 *        ▲                                                                      │
 *        └───────────────── signed re-install (ACE checks the stored secret) ◀──┘
 *
 * Only a verified, installed installation deploys or reads the panel API. Uninstall keeps the
 * ACE record (so a re-install must be signed with the old secret) and every deploy record.
 */

export type InstallationState = {
  status: "installed" | "uninstalled";
  verified: boolean;
  installedAt: string;
  verifiedAt?: string;
  uninstalledAt?: string;
};

/** The credentials and facts Hoist uses to talk to Bitbucket for one installation. */
export type Installation = {
  clientKey: string;
  addonKey: string;
  sharedSecret: string;
  baseUrl: string;
  baseApiUrl: string;
  /** The workspace the add-on is installed in (install payload `principal`). */
  workspaceUuid?: string;
  workspaceSlug?: string;
  state: InstallationState;
};

const STATE_KEY = "hoist:installation";

type ClientInfo = {
  key?: string;
  clientKey: string;
  sharedSecret: string;
  baseUrl: string;
  baseApiUrl?: string;
  principal?: { uuid?: string; username?: string };
};

export class Installations {
  constructor(private readonly addon: Addon) {}

  async get(clientKey: string): Promise<Installation | undefined> {
    const [info, state] = await Promise.all([
      this.addon.settings.get("clientInfo", clientKey) as Promise<ClientInfo | null>,
      this.addon.settings.get(STATE_KEY, clientKey) as Promise<InstallationState | null>,
    ]);
    if (!info?.sharedSecret) return undefined;
    return {
      clientKey,
      addonKey: info.key ?? this.addon.key,
      sharedSecret: info.sharedSecret,
      baseUrl: info.baseUrl.replace(/\/+$/, ""),
      baseApiUrl: (info.baseApiUrl ?? info.baseUrl).replace(/\/+$/, ""),
      workspaceUuid: info.principal?.uuid,
      workspaceSlug: info.principal?.username,
      // An install saved by ACE but not yet seen by Hoist (a crash in between) is unverified.
      state: state ?? { status: "installed", verified: false, installedAt: new Date(0).toISOString() },
    };
  }

  /** Only these may deploy or use the panel API. */
  async getActive(clientKey: string): Promise<Installation | undefined> {
    const found = await this.get(clientKey);
    return found && found.state.status === "installed" && found.state.verified ? found : undefined;
  }

  async markInstalled(clientKey: string): Promise<void> {
    await this.setState(clientKey, { status: "installed", verified: false, installedAt: new Date().toISOString() });
  }

  async markVerified(clientKey: string): Promise<void> {
    const current = await this.get(clientKey);
    if (!current || current.state.status !== "installed") return;
    await this.setState(clientKey, { ...current.state, verified: true, verifiedAt: new Date().toISOString() });
  }

  async markUninstalled(clientKey: string): Promise<void> {
    const current = await this.get(clientKey);
    if (!current) return;
    await this.setState(clientKey, { ...current.state, status: "uninstalled", uninstalledAt: new Date().toISOString() });
  }

  private async setState(clientKey: string, state: InstallationState): Promise<void> {
    await this.addon.settings.set(STATE_KEY, state as unknown as string, clientKey);
  }
}
