import type { Logger } from "pino";
import { repositoryJson } from "./bitbucket-json.ts";
import { installAddon, uninstallAddon } from "./connect-install.ts";
import { NotFoundError } from "./errors.ts";
import { type Faults, type FaultsInput, faultsSchema, noFaults } from "./faults.ts";
import { resolveCommit } from "./git.ts";
import { createRepoAccessToken, type RepoTokenScope } from "./repo-access-tokens.ts";
import { addRepoWebhook } from "./repo-webhooks.ts";
import { createRepo, createWorkspace, gitDirOf } from "./repos.ts";
import type { BuildStatus, Installation, SandboxState } from "./state.ts";
import { listStatuses } from "./statuses.ts";
import { AccessTokens } from "./tokens.ts";
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
  readonly webhooks: WebhookDispatcher;
  private currentFaults: Faults = noFaults();

  constructor(
    readonly state: SandboxState,
    readonly origin: string,
    readonly log: Logger,
    readonly tokenTtlSeconds: number,
  ) {
    this.webhooks = new WebhookDispatcher({ state, faults: () => this.currentFaults, log });
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
