import { randomUUID } from "node:crypto";
import { NotFoundError, SandboxError } from "./errors.ts";
import { type ForgeApp, readForgeApp } from "./forge-manifest.ts";
import { own, type SandboxState } from "./state.ts";

/** A Forge app installed in a workspace, persisted in state.json (so local mode keeps its id across restarts). */
export interface ForgeInstallation {
  /** "ari:cloud:ecosystem::installation/<uuid>" */
  installationId: string;
  workspace: string;
  manifestPath: string;
  remoteBaseUrl?: string;
  app: ForgeApp;
  /** "ari:cloud:ecosystem::environment/<app uuid>/<uuid>" */
  environmentId: string;
  installedAt: string;
}

/** What callers see of an installation. */
export interface ForgeInstallationSummary {
  installationId: string;
  appId: string;
  workspace: string;
  workspaceUuid: string;
  manifestPath: string;
  remoteBaseUrl?: string;
  installedAt: string;
}

export function summariseForge(state: SandboxState, i: ForgeInstallation): ForgeInstallationSummary {
  return {
    installationId: i.installationId,
    appId: i.app.appId,
    workspace: i.workspace,
    workspaceUuid: state.workspace(i.workspace).uuid,
    manifestPath: i.manifestPath,
    ...(i.remoteBaseUrl ? { remoteBaseUrl: i.remoteBaseUrl } : {}),
    installedAt: i.installedAt,
  };
}

/** The workspace's Forge installation, or undefined. */
export function forgeInstallationOf(state: SandboxState, workspace: string): ForgeInstallation | undefined {
  return own(state.data.forgeInstallations, workspace);
}

/** The workspace's Forge installation; NotFoundError ("install the app first") without one. */
export function requireForgeInstallation(state: SandboxState, workspace: string): ForgeInstallation {
  const found = forgeInstallationOf(state, workspace);
  if (!found) throw new NotFoundError("forge.not_installed", `no Forge app is installed in workspace "${workspace}": installForgeApp first`);
  return found;
}

/** The installation's id without its "ari:…/" prefix, as resource URLs use it. */
export function installationUuid(inst: ForgeInstallation): string {
  return inst.installationId.slice(inst.installationId.lastIndexOf("/") + 1);
}

/**
 * Installs (or re-installs) the app of `manifestPath` in `workspace`. Installing the same app
 * again re-reads the manifest and keeps the installation id; another app while one is installed
 * is refused (one Forge app per workspace here).
 */
export async function recordForgeInstall(state: SandboxState, opts: { manifestPath: string; workspace: string; remoteBaseUrl?: string }): Promise<ForgeInstallation> {
  state.workspace(opts.workspace);
  const app = await readForgeApp(opts.manifestPath, opts.remoteBaseUrl);
  const existing = forgeInstallationOf(state, opts.workspace);
  if (existing && existing.app.appId !== app.appId) {
    throw new SandboxError("forge.other_app_installed", `Forge app ${existing.app.appId} is installed in "${opts.workspace}": uninstall it first`, 409);
  }
  const appUuid = app.appId.slice(app.appId.lastIndexOf("/") + 1);
  const inst: ForgeInstallation = {
    installationId: existing?.installationId ?? `ari:cloud:ecosystem::installation/${randomUUID()}`,
    workspace: opts.workspace,
    manifestPath: opts.manifestPath,
    ...(opts.remoteBaseUrl ? { remoteBaseUrl: opts.remoteBaseUrl } : {}),
    app,
    environmentId: existing?.environmentId ?? `ari:cloud:ecosystem::environment/${appUuid}/${randomUUID()}`,
    installedAt: new Date().toISOString(),
  };
  state.data.forgeInstallations ??= {};
  state.data.forgeInstallations[opts.workspace] = inst;
  state.save();
  return inst;
}

export function removeForgeInstall(state: SandboxState, inst: ForgeInstallation): void {
  if (state.data.forgeInstallations?.[inst.workspace]?.installationId === inst.installationId) {
    delete state.data.forgeInstallations[inst.workspace];
    state.save();
  }
}
