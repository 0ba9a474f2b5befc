import type { Logger } from "pino";
import { NotFoundError, SandboxError } from "./errors.ts";
import type { Faults } from "./faults.ts";
import { type ForgeDeliveryRecord, ForgeEventDispatcher, lifecycleBody } from "./forge-events.ts";
import { fitClaims } from "./forge-fit.ts";
import {
  type ForgeInstallation,
  type ForgeInstallationSummary,
  forgeInstallationOf,
  recordForgeInstall,
  removeForgeInstall,
  requireForgeInstallation,
  summariseForge,
} from "./forge-installs.ts";
import { type ForgeInvokeResult, invokeRemote } from "./forge-invoke.ts";
import { ForgeKeys } from "./forge-keys.ts";
import { endpointOf, type ForgeUiModule, INSTALLED_EVENT, PUSH_EVENT, TRIGGER_TYPE, UNINSTALLED_EVENT } from "./forge-manifest.ts";
import { ForgeProductTokens } from "./forge-tokens.ts";
import type { buildPushPayload } from "./push-events.ts";
import type { Repo, SandboxState, User } from "./state.ts";
import { findUser } from "./users.ts";

export interface ForgeTokenOptions {
  workspace: string;
  /** A nickname: the FIT's principal (a UI invocation). */
  user?: string;
  /** A repository slug: the FIT's context.extension.repository. */
  repo?: string;
  /** Default: the first UI module when `user` is given, else the push trigger. */
  moduleKey?: string;
  /** Merged over the default claims, e.g. `{aud: "x"}` or `{exp: 1}`. */
  overrides?: Record<string, unknown>;
}

export type ForgeProductTokenOptions = { workspace: string; kind: "system" } | { workspace: string; kind: "user"; user: string };

export interface ForgeInvokeOptions {
  workspace: string;
  repo: string;
  /** A nickname; default the default user, "sandbox-user". */
  user?: string;
  /** A UI module's key; default the first UI module (the repository main menu page). */
  moduleKey?: string;
  path: string;
  method: string;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface ForgeDeps {
  state: SandboxState;
  origin: string;
  log: Logger;
  faults: () => Faults;
  /** Counts background work for `settled()`. */
  track: (work: Promise<unknown>) => void;
}

type PushPayload = NonNullable<Awaited<ReturnType<typeof buildPushPayload>>>;

/**
 * The sandbox playing Atlassian Forge for an app whose backend is a Forge Remote: signing keys
 * and FITs, installations per workspace, product tokens, events (lifecycle and push) and the
 * Custom UI invocations (see forge-ui.ts for the pages and the bridge).
 */
export class SandboxForge {
  readonly keys = new ForgeKeys();
  readonly tokens: ForgeProductTokens;
  readonly events: ForgeEventDispatcher;

  constructor(private readonly deps: ForgeDeps) {
    this.tokens = new ForgeProductTokens(deps.state, deps.faults);
    this.events = new ForgeEventDispatcher({
      log: deps.log,
      faults: deps.faults,
      track: deps.track,
      fit: (inst, trigger) => this.sign(inst, { key: trigger.key, type: TRIGGER_TYPE }),
      systemToken: (inst) => this.tokens.issueSystem(inst),
    });
  }

  get jwksUrl(): string {
    return `${this.deps.origin}/forge/.well-known/jwks.json`;
  }

  async install(opts: { manifestPath: string; workspace: string; remoteBaseUrl?: string }): Promise<{ installationId: string; appId: string }> {
    const inst = await recordForgeInstall(this.deps.state, opts);
    this.deps.log.info({ installationId: inst.installationId, workspace: inst.workspace, appId: inst.app.appId }, "Forge app installed");
    const ws = this.deps.state.workspace(inst.workspace);
    await this.events.deliver(inst, INSTALLED_EVENT, lifecycleBody(INSTALLED_EVENT, ws, this.deps.state.data.user), { repository: "" });
    return { installationId: inst.installationId, appId: inst.app.appId };
  }

  /** Delivers the uninstalled event, then forgets the installation: its product tokens stop working. */
  async uninstall(opts: { workspace: string }): Promise<void> {
    const inst = requireForgeInstallation(this.deps.state, opts.workspace);
    const ws = this.deps.state.workspace(inst.workspace);
    await this.events.deliver(inst, UNINSTALLED_EVENT, lifecycleBody(UNINSTALLED_EVENT, ws, this.deps.state.data.user), { repository: "" });
    removeForgeInstall(this.deps.state, inst);
    this.tokens.revokeInstallation(inst.installationId);
    this.deps.log.info({ installationId: inst.installationId, workspace: inst.workspace }, "Forge app uninstalled");
  }

  installations(): ForgeInstallationSummary[] {
    return Object.values(this.deps.state.data.forgeInstallations ?? {}).map((i) => summariseForge(this.deps.state, i));
  }

  deliveries(): ForgeDeliveryRecord[] {
    return this.events.list();
  }

  /** A FIT as Forge would sign it for the workspace's installation (see ForgeTokenOptions). */
  async token(opts: ForgeTokenOptions): Promise<string> {
    const inst = requireForgeInstallation(this.deps.state, opts.workspace);
    const ui = opts.moduleKey !== undefined ? inst.app.uiModules.find((m) => m.key === opts.moduleKey) : opts.user !== undefined ? inst.app.uiModules[0] : undefined;
    if (ui || opts.user !== undefined) {
      if (!ui) throw new NotFoundError("forge.module_not_found", `the app has no UI module "${opts.moduleKey ?? ""}"`);
      const user = this.user(opts.user);
      const repo = opts.repo === undefined ? undefined : this.repo(opts.workspace, opts.repo);
      return this.sign(inst, { key: ui.key, type: ui.type }, { repoUuid: repo?.uuid, principal: user.uuid }, opts.overrides);
    }
    const trigger =
      opts.moduleKey !== undefined ? inst.app.triggers.find((t) => t.key === opts.moduleKey) : (inst.app.triggers.find((t) => t.events.includes(PUSH_EVENT)) ?? inst.app.triggers[0]);
    if (!trigger) throw new NotFoundError("forge.module_not_found", `the app has no module "${opts.moduleKey ?? "(a trigger)"}"`);
    return this.sign(inst, { key: trigger.key, type: TRIGGER_TYPE }, undefined, opts.overrides);
  }

  productToken(opts: ForgeProductTokenOptions): string {
    const inst = requireForgeInstallation(this.deps.state, opts.workspace);
    if (opts.kind === "system") return this.tokens.issueSystem(inst);
    return this.tokens.issueUser(inst, this.user(opts.user).nickname);
  }

  /** A git push: one push event per changed ref, when the workspace's app has a trigger on it. */
  onPush(repo: Repo, payload: PushPayload): void {
    const inst = forgeInstallationOf(this.deps.state, repo.workspace);
    if (inst) this.events.push(inst, this.deps.state.workspace(repo.workspace), repo, payload);
  }

  /**
   * Calls the remote as a Custom UI `invokeRemote` does: a FIT for the user and module (with the
   * repository in its context), product tokens as the module's resolver endpoint enables them,
   * 25 s, no retry. Rejects on a network failure; a non-2xx answer is a result like any other.
   */
  async invoke(opts: ForgeInvokeOptions): Promise<ForgeInvokeResult> {
    const inst = requireForgeInstallation(this.deps.state, opts.workspace);
    const module = this.uiModule(inst, opts.moduleKey);
    const endpoint = endpointOf(inst.app, module.endpoint);
    if (!endpoint) throw new SandboxError("forge.no_resolver", `module ${module.key} has no resolver endpoint to invoke`);
    const user = this.user(opts.user);
    const repo = this.repo(opts.workspace, opts.repo);
    const fit = await this.sign(inst, { key: module.key, type: module.type }, { repoUuid: repo.uuid, principal: user.uuid });
    const headers: Record<string, string> = { authorization: `Bearer ${fit}` };
    if (endpoint.userToken) headers["x-forge-oauth-user"] = this.tokens.issueUser(inst, user.nickname);
    if (endpoint.systemToken) headers["x-forge-oauth-system"] = this.tokens.issueSystem(inst);
    return invokeRemote({ baseUrl: endpoint.baseUrl, path: opts.path, method: opts.method, headers: opts.headers, body: opts.body, forgeHeaders: headers });
  }

  /** The workspace's installation and UI modules, for the repository pages. */
  uiOf(workspace: string): { inst: ForgeInstallation; modules: ForgeUiModule[] } | undefined {
    const inst = forgeInstallationOf(this.deps.state, workspace);
    return inst && { inst, modules: inst.app.uiModules };
  }

  uiModule(inst: ForgeInstallation, moduleKey?: string): ForgeUiModule {
    const module = moduleKey === undefined ? inst.app.uiModules[0] : inst.app.uiModules.find((m) => m.key === moduleKey);
    if (!module) throw new NotFoundError("forge.module_not_found", `the app has no UI module "${moduleKey ?? ""}"`);
    return module;
  }

  /** A user by nickname (default: the default user). */
  user(nickname?: string): User {
    const user = nickname === undefined ? this.deps.state.data.user : findUser(this.deps.state, nickname);
    if (!user) throw new NotFoundError("user.not_found", `no user "${nickname}"`);
    return user;
  }

  private repo(workspace: string, slug: string): Repo {
    const repo = this.deps.state.repo(workspace, slug);
    if (!repo) throw new NotFoundError("repo.not_found", `no repository ${workspace}/${slug}`);
    return repo;
  }

  private sign(inst: ForgeInstallation, module: { key: string; type: string }, ui?: { repoUuid?: string; principal?: string }, overrides?: Record<string, unknown>): Promise<string> {
    const workspaceUuid = this.deps.state.workspace(inst.workspace).uuid;
    const claims = fitClaims({ inst, workspaceUuid, origin: this.deps.origin, module, ui, skewSeconds: this.deps.faults().clockSkewSeconds, overrides });
    return this.keys.sign(claims);
  }
}
