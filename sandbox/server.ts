import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { type Logger, pino } from "pino";
import { adminRouter } from "./admin.ts";
import { archiveRouter } from "./archive.ts";
import { avatarRouter } from "./avatar.ts";
import { refuseQueryTokens } from "./bearer-auth.ts";
import { connectJsRouter } from "./connect-js.ts";
import { type InstallationSummary, SandboxCore } from "./core.ts";
import { errorHandler } from "./error-handler.ts";
import type { Faults, FaultsInput } from "./faults.ts";
import type { ForgeInvokeOptions, ForgeProductTokenOptions, ForgeTokenOptions } from "./forge.ts";
import type { ForgeDeliveryRecord } from "./forge-events.ts";
import type { ForgeInstallationSummary } from "./forge-installs.ts";
import type { ForgeInvokeResult } from "./forge-invoke.ts";
import { forgeUiRouter } from "./forge-ui.ts";
import { gitRouter } from "./git-routes.ts";
import { hooksRouter } from "./hooks-api.ts";
import { oauthRouter } from "./oauth.ts";
import { authorizeRouter } from "./oauth-authorize.ts";
import type { RepoTokenScope } from "./repo-access-tokens.ts";
import { repoPageRouter } from "./repo-page.ts";
import { resolveUuidPaths } from "./repo-uuid-paths.ts";
import type { RepoWebhookSummary } from "./repo-webhooks.ts";
import type { BuildStatus, User, Workspace } from "./state.ts";
import { SandboxState } from "./state.ts";
import { statusesRouter } from "./statuses.ts";
import { userApiRouter } from "./user-api.ts";
import type { RepoPermission } from "./users.ts";
import type { DeliveryRecord } from "./webhooks.ts";
import { workspaceReposRouter } from "./workspace-repos.ts";

export type {
  ForgeDeliveryRecord,
  ForgeInstallationSummary,
  ForgeInvokeOptions,
  ForgeInvokeResult,
  ForgeProductTokenOptions,
  ForgeTokenOptions,
  RepoPermission,
  RepoWebhookSummary,
  User,
};

export interface SandboxOptions {
  dataDir: string;
  port?: number; // 0 (default) picks a free port
  host?: string; // loopback only: "127.0.0.1" (default) or "localhost"/"::1"
  logger?: Logger;
  /** Lifetime of access tokens from the token endpoint (Bitbucket: 3600). */
  tokenTtlSeconds?: number;
}

export interface Sandbox {
  /** Origin, e.g. "http://127.0.0.1:7990"; also the baseUrl/baseApiUrl add-ons are given. */
  readonly url: string;
  close(): Promise<void>;
  createWorkspace(slug: string, name?: string): Workspace;
  /** Creates a bare repo (or returns the existing one); `cloneUrl` takes a plain `git push`. */
  createRepo(workspace: string, repo: string): Promise<Record<string, unknown> & { uuid: string; cloneUrl: string }>;
  /** Direct mode: a repository access token (Bearer; scopes `repository`, `repository:write`). */
  createRepoAccessToken(workspace: string, repo: string, scopes?: RepoTokenScope[]): string;
  /** Direct mode: a plain repository webhook, signed with X-Hub-Signature when given a secret. */
  addRepoWebhook(workspace: string, repo: string, hook: { url: string; secret?: string; events?: string[] }): { uuid: string; url: string; events: string[] };
  /** The repository's webhooks (added here or over `/2.0/…/hooks`), without their secrets. */
  repoWebhooks(workspace: string, repo: string): RepoWebhookSummary[];
  /** A user (idempotent by nickname). Only the default user, "sandbox-user", has access to anything until granted. */
  createUser(nickname: string, displayName?: string): User;
  /** Every user, the default user ("sandbox-user", admin of every repository) first. */
  users(): User[];
  /** Grants a user read/write/admin on one repository; "none" takes it away. Not for the default user. */
  setRepoPermission(workspace: string, repo: string, nickname: string, permission: RepoPermission | "none"): void;
  /**
   * An OAuth consumer for the authorization-code flow; scopes default to account, repository,
   * repository:write, repository:admin, webhook. The same name, callback URL and scopes return the same consumer.
   */
  createOAuthConsumer(opts: { name?: string; callbackUrl: string; scopes?: string[] }): { key: string; secret: string };
  /** Revokes every OAuth code, access token and refresh token the user has granted (a revoked grant). */
  revokeUserGrants(nickname: string): void;
  installAddon(descriptorUrl: string, opts: { workspace: string }): Promise<InstallationSummary>;
  uninstallAddon(addonKey: string, opts: { workspace: string }): Promise<void>;
  installations(): InstallationSummary[];
  deliveries(): DeliveryRecord[];
  clearDeliveries(): void;
  /** Waits for every webhook delivery started so far (retries included). */
  settled(): Promise<void>;
  statuses(workspace: string, repo: string, commit: string): Promise<BuildStatus[]>;
  // ── Forge (the sandbox plays Atlassian Forge for an app whose backend is a Forge Remote) ──
  /** Absolute URL of the JWKS that Forge Invocation Tokens verify against. */
  readonly forgeJwksUrl: string;
  /** A new current signing key (new kid); keepOld keeps the old public key published, else it is withdrawn. */
  rotateForgeKey(opts?: { keepOld?: boolean }): Promise<void>;
  /** A FIT for the workspace's installation: a UI invocation's with `user`/`moduleKey` of a UI module, else an event's. */
  forgeToken(opts: ForgeTokenOptions): Promise<string>;
  /** An app system token (the installation's workspace) or app user token (acting as `user`); 15 minutes. */
  forgeProductToken(opts: ForgeProductTokenOptions): string;
  /** Installs the app of a manifest.yml in a workspace and delivers `avi:forge:installed:app` if it has a trigger on it. */
  installForgeApp(opts: { manifestPath: string; workspace: string; remoteBaseUrl?: string }): Promise<{ installationId: string; appId: string }>;
  /** Delivers `avi:forge:uninstalled:app`, then forgets the installation (its product tokens stop working). */
  uninstallForgeApp(opts: { workspace: string }): Promise<void>;
  forgeInstallations(): ForgeInstallationSummary[];
  /** Every Forge event delivery attempt (lifecycle and push), oldest first. */
  forgeDeliveries(): ForgeDeliveryRecord[];
  /** Calls the remote as Custom UI's invokeRemote would (FIT with principal, product tokens per the resolver endpoint). */
  forgeInvoke(opts: ForgeInvokeOptions): Promise<ForgeInvokeResult>;
  /** Current fault switches; assign a (partial) FaultsInput to replace them. */
  get faults(): Faults;
  set faults(input: FaultsInput);
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "::1"]);

export async function startSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const host = opts.host ?? "127.0.0.1";
  if (!LOOPBACK_HOSTS.has(host)) throw new Error(`the sandbox binds to loopback only; "${host}" is not loopback`);
  const log = opts.logger ?? pino({ level: "silent" });
  const server = createServer();
  await listen(server, opts.port ?? 0, host);
  const { port } = server.address() as AddressInfo;
  const origin = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const core = new SandboxCore(new SandboxState(opts.dataDir), origin, log, opts.tokenTtlSeconds ?? 3600);
  server.on("request", buildApp(core));
  log.info({ url: origin, dataDir: opts.dataDir }, "sandbox listening");
  return programmaticApi(core, server);
}

function buildApp(core: SandboxCore) {
  const app = express();
  app.disable("x-powered-by");
  const deps = {
    state: core.state,
    tokens: core.tokens,
    grants: core.grants,
    forgeTokens: core.forge.tokens,
    origin: core.origin,
    log: core.log,
    faults: () => core.faults,
    archiveFailure: () => core.archiveFailure(),
  };
  app.use("/_sandbox", adminRouter(core));
  app.use(gitRouter({ ...deps, webhooks: core.webhooks, forge: core.forge }));
  app.use(oauthRouter({ ...deps, tokenTtlSeconds: () => core.tokenTtlSeconds }));
  app.use(authorizeRouter(deps));
  app.use("/2.0", (_req, res, next) => {
    const status = core.faults.api.failStatus;
    if (!status) return next();
    res.status(status).json({ type: "error", error: { message: "API fault switched on" } });
  });
  app.use("/2.0", refuseQueryTokens);
  app.use(resolveUuidPaths(core.state));
  app.get("/2.0/user/permissions/repositories", (_req, res, next) => {
    if (!core.faults.api.crossWorkspaceGone) return next();
    res.status(410).json({ type: "error", error: { message: "This API is no longer supported. Use the workspace-scoped endpoints instead." } });
  });
  app.use(userApiRouter(deps));
  app.use(workspaceReposRouter(deps));
  app.use(hooksRouter(deps));
  app.use(statusesRouter(deps));
  app.use(archiveRouter(deps));
  app.use(avatarRouter(deps));
  app.use(connectJsRouter());
  app.use(forgeUiRouter({ ...deps, forge: core.forge }));
  app.use(repoPageRouter({ ...deps, forge: core.forge }));
  app.get("/favicon.ico", (_req, res) => void res.status(204).end()); // keeps browser consoles clean in e2e
  app.use(errorHandler(core.log));
  return app;
}

function programmaticApi(core: SandboxCore, server: Server): Sandbox {
  return {
    url: core.origin,
    close: () => closeServer(server),
    createWorkspace: (slug, name) => core.createWorkspace(slug, name),
    createRepo: (workspace, repo) => core.createRepo(workspace, repo),
    createRepoAccessToken: (workspace, repo, scopes) => core.createRepoAccessToken(workspace, repo, scopes),
    addRepoWebhook: (workspace, repo, hook) => core.addRepoWebhook(workspace, repo, hook),
    repoWebhooks: (workspace, repo) => core.repoWebhooks(workspace, repo),
    createUser: (nickname, displayName) => core.createUser(nickname, displayName),
    users: () => core.users(),
    setRepoPermission: (workspace, repo, nickname, permission) => core.setRepoPermission(workspace, repo, nickname, permission),
    createOAuthConsumer: (opts) => core.createOAuthConsumer(opts),
    revokeUserGrants: (nickname) => core.revokeUserGrants(nickname),
    installAddon: (descriptorUrl, { workspace }) => core.install(descriptorUrl, workspace),
    uninstallAddon: (addonKey, { workspace }) => core.uninstall(core.findInstallation(workspace, addonKey).clientKey),
    installations: () => core.installations(),
    deliveries: () => core.webhooks.list(),
    clearDeliveries: () => core.webhooks.clear(),
    settled: () => core.webhooks.settled(),
    statuses: (workspace, repo, commit) => core.statuses(workspace, repo, commit),
    forgeJwksUrl: core.forge.jwksUrl,
    rotateForgeKey: (opts) => core.forge.keys.rotate(opts),
    forgeToken: (opts) => core.forge.token(opts),
    forgeProductToken: (opts) => core.forge.productToken(opts),
    installForgeApp: (opts) => core.forge.install(opts),
    uninstallForgeApp: (opts) => core.forge.uninstall(opts),
    forgeInstallations: () => core.forge.installations(),
    forgeDeliveries: () => core.forge.deliveries(),
    forgeInvoke: (opts) => core.forge.invoke(opts),
    get faults(): Faults {
      return core.faults;
    },
    set faults(input: FaultsInput) {
      core.setFaults(input);
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** Closes, cutting open connections too (a never-ending archive would otherwise hold close() forever). */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}
