import { randomUUID } from "node:crypto";
import type { ForgeInstallation } from "./forge-installs.ts";

/** Forge's invocation tokens name this issuer. */
export const FIT_ISSUER = "forge/invocation-token";
export const FIT_TTL_SECONDS = 60;

export interface FitInput {
  inst: ForgeInstallation;
  workspaceUuid: string;
  /** The sandbox origin: the installation's Bitbucket API base URL. */
  origin: string;
  module: { key: string; type: string };
  /** UI invocations: the module's context and the viewing user (absent on events). */
  ui?: { repoUuid?: string; principal?: string };
  skewSeconds?: number;
  /** Merged over the claims built here (shallow), e.g. `{aud: "x"}` or `{exp: 1}`. */
  overrides?: Record<string, unknown>;
}

/**
 * The claims of a Forge Invocation Token (the wire contract's "FIT"): iss, aud = app id, iat/nbf/exp
 * (60 s), jti, app {id, installationId, apiBaseUrl, environment, module}, context {workspaceId,
 * moduleKey?, extension?} and, for UI calls, principal = the user's uuid.
 */
export function fitClaims(input: FitInput): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000) + (input.skewSeconds ?? 0);
  const { inst, module, ui } = input;
  const context: Record<string, unknown> = { workspaceId: input.workspaceUuid };
  if (ui) {
    context.moduleKey = module.key;
    context.extension = { type: module.type, ...(ui.repoUuid ? { repository: { uuid: ui.repoUuid } } : {}) };
  }
  const claims: Record<string, unknown> = {
    iss: FIT_ISSUER,
    aud: inst.app.appId,
    iat: now,
    nbf: now,
    exp: now + FIT_TTL_SECONDS,
    jti: randomUUID(),
    app: {
      id: inst.app.appId,
      installationId: inst.installationId,
      apiBaseUrl: input.origin,
      environment: { type: "DEVELOPMENT", id: inst.environmentId },
      module: { key: module.key, type: module.type },
    },
    context,
    ...(ui?.principal ? { principal: ui.principal } : {}),
  };
  return { ...claims, ...input.overrides };
}
