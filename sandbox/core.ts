import type { Logger } from "pino";
import { repositoryJson } from "./bitbucket-json.ts";
import { installAddon, uninstallAddon } from "./connect-install.ts";
import { NotFoundError } from "./errors.ts";
import { type Faults, type FaultsInput, faultsSchema, noFaults } from "./faults.ts";
import { SandboxForge } from "./forge.ts";
import { resolveCommit } from "./git.ts";
import { type ConsumerInput, createOAuthConsumer } from "./oauth-consumers.ts";
import { UserGrants } from "./oauth-grants.ts";
import { createRepoAccessToken, type RepoTokenScope } from "./repo-access-tokens.ts";
import { addRepoWebhook, type RepoWebhookSummary, repoWebhooksOf, summariseWebhook } from "./repo-webhooks.ts";
import { createRepo, createWorkspace, gitDirOf } from "./repos.ts";
import type { BuildStatus, Installation, SandboxState, User } from "./state.ts";
import { listStatuses } from "./statuses.ts";
import { AccessTokens } from "./tokens.ts";
import { createUser, findUser, listUsers, type RepoPermission, setRepoPermission } from "./users.ts";
import { WebhookDispatcher } from "./webhooks.ts";

/** What callers may see of an installation: never its shared secret. */
export interface InstallationSummary {
  clientKey: string;
  addonKey: string;
  workspace: string;
  descriptorUrl: string;
  installedAt: string;
}

export function summarise(i: Installation): InstallationSummary {
  return {
    clientKey: i.clientKey,
    addonKey: i.addonKey,
    workspace: i.workspace,
    descriptorUrl: i.descriptorUrl,
    installedAt: i.installedAt,
  };
}

/**
 * The sandbox's operations, shared by the HTTP admin API and the programmatic
 * API so both do exactly the same thing.
 */
export class SandboxCore {
  readonly tokens = new AccessTokens();
  readonly grants: UserGrants;
  readonly webhooks: WebhookDispatcher;
  readonly forge: SandboxForge;
  private currentFaults: Faults = noFaults();

  constructor(
    readonly state: SandboxState,
    readonly origin: string,
    readonly log: Logger,
    readonly tokenTtlSeconds: number,
  ) {
    this.webhooks = new WebhookDispatcher({ state, faults: () => this.currentFaults, log });
    this.grants = new UserGrants(state, () => this.tokenTtlSeconds);
    this.forge = new SandboxForge({ state, origin, log, faults: () => this.currentFaults, track: (work) => this.webhooks.track(work) });
  }

  get faults(): Faults {
    return structuredClone(this.currentFaults);
  }

  /** The status an archive download fails with now, if any; counts down `failTimes`. */
  archiveFailure(): number | undefined {
    const archive = this.currentFaults.archive;
    if (!archive.failStatus || archive.failTimes === 0) return undefined;
    if (archive.failTimes !== undefined) archive.failTimes -= 1;
    return archive.failStatus;
  }

  setFaults(input: FaultsInput): Faults {
    this.currentFaults = faultsSchema.parse(input);
    this.log.info({ faults: this.currentFaults }, "faults set");
    return this.faults;
  }

  createWorkspace(slug: string, name?: string) {
    return createWorkspace(this.state, slug, name);
  }

  async createRepo(workspace: string, slug: string) {
    const repo = await createRepo(this.state, workspace, slug);
    const json = repositoryJson(this.origin, repo, this.state.workspace(workspace));
    return { ...json, cloneUrl: `${this.origin}/${workspace}/${slug}.git` };
  }

  async install(descriptorUrl: string, workspace: string): Promise<InstallationSummary> {
    return summarise(await installAddon(this.installDeps(), descriptorUrl, workspace));
  }

  async uninstall(clientKey: string): Promise<void> {
    await uninstallAddon(this.installDeps(), clientKey);
  }

  /** A repository access token (Repository settings → Access tokens), shown once. */
  createRepoAccessToken(workspace: string, slug: string, scopes?: RepoTokenScope[]): string {
    return createRepoAccessToken(this.state, workspace, slug, scopes);
  }

  /** A plain repository webhook (Repository settings → Webhooks); the secret is never shown again. */
  addRepoWebhook(workspace: string, slug: string, hook: { url: string; secret?: string; events?: string[] }): { uuid: string; url: string; events: string[] } {
    const { uuid, url, events } = addRepoWebhook(this.state, workspace, slug, hook);
    return { uuid, url, events };
  }

  /** A repository's webhooks, secrets left out. */
  repoWebhooks(workspace: string, slug: string): RepoWebhookSummary[] {
    if (!this.state.repo(workspace, slug)) throw new NotFoundError("repo.not_found", `no repository ${workspace}/${slug}`);
    return repoWebhooksOf(this.state, workspace, slug).map(summariseWebhook);
  }

  createUser(nickname: string, displayName?: string): User {
    return createUser(this.state, nickname, displayName);
  }

  users(): User[] {
    return listUsers(this.state);
  }

  setRepoPermission(workspace: string, slug: string, nickname: string, permission: RepoPermission | "none"): void {
    setRepoPermission(this.state, workspace, slug, nickname, permission);
    this.log.info({ repo: `${workspace}/${slug}`, nickname, permission }, "repository permission set");
  }

  /** An OAuth consumer (Workspace settings → OAuth consumers); the same name, callback URL and scopes give the same one. */
  createOAuthConsumer(opts: ConsumerInput): { key: string; secret: string } {
    return createOAuthConsumer(this.state, opts);
  }

  /** Revokes every OAuth code, access token and refresh token of a user, as revoking the app's access does. */
  revokeUserGrants(nickname: string): void {
    if (!findUser(this.state, nickname)) throw new NotFoundError("user.not_found", `no user "${nickname}"`);
    this.grants.revokeUser(nickname);
    this.log.info({ nickname }, "user grants revoked");
  }

  findInstallation(workspace: string, addonKey: string): Installation {
    const found = this.state.installationsOf(workspace).find((i) => i.addonKey === addonKey);
    if (!found) throw new NotFoundError("installation.not_found", `${addonKey} is not installed in ${workspace}`);
    return found;
  }

  installations(): InstallationSummary[] {
    return Object.values(this.state.data.installations).map(summarise);
  }

  async statuses(workspace: string, slug: string, commitish: string): Promise<BuildStatus[]> {
    const repo = this.state.repo(workspace, slug);
    if (!repo) throw new NotFoundError("repo.not_found", `no repository ${workspace}/${slug}`);
    const commit = await resolveCommit(gitDirOf(this.state.dataDir, repo), commitish);
    if (!commit) throw new NotFoundError("commit.not_found", `no commit ${commitish} in ${workspace}/${slug}`);
    return listStatuses(this.state, repo, commit);
  }

  private installDeps() {
    return { state: this.state, tokens: this.tokens, origin: this.origin, faults: () => this.currentFaults, log: this.log };
  }
}
