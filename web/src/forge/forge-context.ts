/**
 * Which Hoist view a Forge module shows, read from what `view.getContext()` answers inside
 * Bitbucket: `extension.type` is the module type of forge/manifest.yml and
 * `extension.repository.uuid` the repository the page belongs to. A boundary, like
 * bootstrap/context.ts: checked here, trusted after.
 */
export type ForgeView = "page" | "panel" | "settings";

export const MODULE_VIEWS: Readonly<Record<string, ForgeView>> = {
  "bitbucket:repoMainMenuPage": "page",
  "bitbucket:repoCodeOverviewCard": "panel",
  "bitbucket:repoSettingsMenuPage": "settings",
};

export type ForgePanelContext = { moduleType: string; view: ForgeView; repositoryUuid: string };

export class ForgeContextError extends Error {
  override name = "ForgeContextError";
}

const UUID = /^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i;

function field(value: unknown, key: string): unknown {
  return value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
}

export function readForgeContext(raw: unknown): ForgePanelContext {
  const extension = field(raw, "extension");
  const moduleType = field(extension, "type");
  if (typeof moduleType !== "string" || !moduleType) {
    throw new ForgeContextError("Bitbucket did not say which module this is (no extension.type in Forge's context).");
  }
  const view = MODULE_VIEWS[moduleType];
  if (!view) throw new ForgeContextError(`Hoist has no view for the Forge module ${moduleType}.`);
  const uuid = field(field(extension, "repository"), "uuid");
  const match = typeof uuid === "string" ? UUID.exec(uuid.trim()) : null;
  if (!match) throw new ForgeContextError("Bitbucket did not say which repository this page belongs to (no extension.repository.uuid in Forge's context).");
  return { moduleType, view, repositoryUuid: `{${match[1]!.toLowerCase()}}` };
}
