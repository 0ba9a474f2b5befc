import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Descriptor } from "./descriptor.ts";
import { accountId, bracedUuid } from "./ids.ts";
import { NotFoundError } from "./errors.ts";
import type { ForgeInstallation } from "./forge-installs.ts";
import type { OAuthConsumer } from "./oauth-consumers.ts";
import type { RefreshGrant } from "./oauth-grants.ts";
import type { RepoAccessToken } from "./repo-access-tokens.ts";
import type { RepoWebhook } from "./repo-webhooks.ts";
import type { RepoPermission } from "./users.ts";

export interface User {
  uuid: string;
  accountId: string;
  displayName: string;
  nickname: string;
}

export interface Workspace {
  slug: string;
  uuid: string;
  name: string;
}

export interface Repo {
  workspace: string;
  slug: string;
  uuid: string;
  name: string;
  mainbranch: string;
  createdOn: string;
}

export interface Installation {
  clientKey: string;
  addonKey: string;
  workspace: string;
  descriptorUrl: string;
  descriptor: Descriptor;
  sharedSecret: string;
  installedAt: string;
}

export type BuildState = "INPROGRESS" | "SUCCESSFUL" | "FAILED" | "STOPPED";

export interface BuildStatus {
  key: string;
  state: BuildState;
  url: string;
  name: string;
  description: string;
  refname: string | null;
  commit: string;
  createdOn: string;
  updatedOn: string;
}

interface Persisted {
  /** The default user: pushes, repository pages and Connect installs act as this user; admin of every repository. */
  user: User;
  /** Every other user, by nickname (see users.ts); they see only what they are granted. */
  users?: Record<string, User>;
  /** Explicit repository permissions: "ws/repo" → nickname → permission. */
  repoPermissions?: Record<string, Record<string, RepoPermission>>;
  /** OAuth consumers by key (secret included); see oauth-consumers.ts. */
  oauthConsumers?: Record<string, OAuthConsumer>;
  /** Live refresh tokens (token → grant); each is used once, see oauth-grants.ts. */
  oauthRefreshTokens?: Record<string, RefreshGrant>;
  workspaces: Record<string, Workspace>;
  repos: Record<string, Repo>;
  installations: Record<string, Installation>;
  /** "ws/repo/<40-hex>" → status key → status */
  statuses: Record<string, Record<string, BuildStatus>>;
  /** Shared secrets of uninstalled add-ons by clientKey: a later re-install is signed with them. */
  retiredSecrets?: Record<string, string>;
  /** Repository access tokens (token → grant); see repo-access-tokens.ts. */
  repoAccessTokens?: Record<string, RepoAccessToken>;
  /** Plain repository webhooks by hook uuid (secret included); see repo-webhooks.ts. */
  repoWebhooks?: Record<string, RepoWebhook>;
  /** Forge app installations by workspace slug (one app per workspace); see forge-installs.ts. */
  forgeInstallations?: Record<string, ForgeInstallation>;
}

/**
 * Everything the sandbox knows besides the git repositories themselves, kept in
 * memory and written to `<dataDir>/state.json` after each change so local mode
 * survives a restart (installations included). The file holds shared secrets:
 * it is written owner-only.
 */
export class SandboxState {
  readonly data: Persisted;
  private readonly file: string;

  constructor(readonly dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.file = join(dataDir, "state.json");
    this.data = existsSync(this.file) ? JSON.parse(readFileSync(this.file, "utf8")) : emptyState();
  }

  save(): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data, null, 2), { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  repo(workspace: string, slug: string): Repo | undefined {
    return this.data.repos[`${workspace}/${slug}`];
  }

  /** A workspace known to exist (every repo and installation belongs to one). */
  workspace(slug: string): Workspace {
    const found = this.data.workspaces[slug];
    if (!found) throw new NotFoundError("workspace.not_found", `no workspace "${slug}": create it first`);
    return found;
  }

  installationsOf(workspace: string): Installation[] {
    return Object.values(this.data.installations).filter((i) => i.workspace === workspace);
  }
}

function emptyState(): Persisted {
  const user: User = {
    uuid: bracedUuid(),
    accountId: accountId(),
    displayName: "Sandbox User",
    nickname: "sandbox-user",
  };
  return { user, workspaces: {}, repos: {}, installations: {}, statuses: {} };
}

/** `record[key]` when `key` is the record's own (never an inherited "constructor" or "__proto__"). */
export function own<T>(record: Record<string, T> | undefined, key: string): T | undefined {
  return record && Object.hasOwn(record, key) ? record[key] : undefined;
}
