import type { Addon } from "./ace.ts";

/**
 * Hoist's view of a Connect installation. ACE stores the credentials (`clientInfo`: the install
 * payload, shared secret included); Hoist keeps its own state beside it under `hoist:installation`
 * in the same store, keyed by the authenticated clientKey:
 *
 *   candidate ──token exchange ok──▶ installed + verified ──uninstalled──▶ uninstalled
 *   (unsigned first install,            ▲          │ signed re-install            │
 *    kept apart, expires in 1 h)        └──────────┴──── (ACE checks the stored ◀─┘
 *                                                         secret, then re-verified)
 *
 * A first install is unsigned, so anyone can send one for a clientKey that has not installed
 * Hoist yet. It is therefore kept apart as a CANDIDATE (`hoist:install-candidates`), never in
 * ACE's `clientInfo`, until its credentials work against Bitbucket; several may wait side by
 * side, and the first that verifies becomes the installation. So an attacker's unsigned install
 * can never block or replace the real one. Once an installation has been verified, every
 * re-install and uninstall must be signed with its stored secret.
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
const CANDIDATES_KEY = "hoist:install-candidates";
/** How long an unverified first install waits for its verification before it is dropped. */
export const CANDIDATE_TTL_MS = 60 * 60 * 1000;
/** At most this many candidates per clientKey are kept (the newest). */
const MAX_CANDIDATES = 10;

/** An unsigned first install waiting for verification: the install payload as Bitbucket (or someone) sent it. */
export type InstallCandidate = { info: ClientInfo; receivedAt: string };

export type ClientInfo = {
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
    // An install saved by ACE but not yet seen by Hoist (a crash in between) is unverified.
    return installationOf(info, state ?? { status: "installed", verified: false, installedAt: new Date(0).toISOString() }, this.addon.key);
  }

  /** Only these may deploy or use the panel API. */
  async getActive(clientKey: string): Promise<Installation | undefined> {
    const found = await this.get(clientKey);
    return found && found.state.status === "installed" && found.state.verified ? found : undefined;
  }

  /** True once the installation's credentials have ever been verified: from then on it changes only by signed requests. */
  static trusted(inst: Installation | undefined): boolean {
    return Boolean(inst && (inst.state.verified || inst.state.verifiedAt));
  }

  /** Keeps an unsigned first install apart until it is verified (see the header). */
  async addCandidate(info: ClientInfo): Promise<InstallCandidate> {
    const candidate: InstallCandidate = { info, receivedAt: new Date().toISOString() };
    const others = (await this.candidates(info.clientKey)).filter((c) => c.info.sharedSecret !== info.sharedSecret);
    await this.addon.settings.set(CANDIDATES_KEY, [...others, candidate].slice(-MAX_CANDIDATES) as unknown as string, info.clientKey);
    return candidate;
  }

  /** The candidates of a clientKey that have not expired, oldest first. */
  async candidates(clientKey: string, now = Date.now()): Promise<InstallCandidate[]> {
    const stored = (await this.addon.settings.get(CANDIDATES_KEY, clientKey)) as InstallCandidate[] | null;
    return (Array.isArray(stored) ? stored : []).filter((c) => c?.info?.sharedSecret && now - Date.parse(c.receivedAt) < CANDIDATE_TTL_MS);
  }

  /** A verified candidate becomes the installation: ACE's record, Hoist's state, no candidates left. */
  async activate(candidate: InstallCandidate): Promise<void> {
    const { clientKey } = candidate.info;
    await this.addon.settings.set("clientInfo", candidate.info as unknown as string, clientKey);
    const now = new Date().toISOString();
    await this.setState(clientKey, { status: "installed", verified: true, installedAt: candidate.receivedAt, verifiedAt: now });
    await this.addon.settings.del(CANDIDATES_KEY, clientKey);
  }

  /** A candidate's credentials, to verify them before anything trusts them. */
  credentialsOf(candidate: InstallCandidate): Installation {
    return installationOf(candidate.info, { status: "installed", verified: false, installedAt: candidate.receivedAt }, this.addon.key);
  }

  /** After ACE saved a (signed) install: installed, to be verified again; once trusted, always trusted. */
  async markInstalled(clientKey: string): Promise<void> {
    const verifiedAt = (await this.addon.settings.get(STATE_KEY, clientKey) as InstallationState | null)?.verifiedAt;
    await this.setState(clientKey, { status: "installed", verified: false, installedAt: new Date().toISOString(), ...(verifiedAt ? { verifiedAt } : {}) });
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

function installationOf(info: ClientInfo, state: InstallationState, addonKey: string): Installation {
  return {
    clientKey: info.clientKey,
    addonKey: info.key ?? addonKey,
    sharedSecret: info.sharedSecret,
    baseUrl: info.baseUrl.replace(/\/+$/, ""),
    baseApiUrl: (info.baseApiUrl ?? info.baseUrl).replace(/\/+$/, ""),
    workspaceUuid: info.principal?.uuid,
    workspaceSlug: info.principal?.username,
    state,
  };
}
