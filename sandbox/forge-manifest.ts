import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import { InstallError } from "./errors.ts";

/**
 * The parts of a Forge app's manifest.yml the sandbox plays Forge with: the app id, the
 * remotes (a Forge Remote's base URL), the endpoints (route path, which product tokens they
 * get), the triggers (events → endpoint) and the Bitbucket UI modules (Custom UI resource and
 * resolver endpoint). Anything else in the file is ignored.
 */

export const PUSH_EVENT = "avi:bitbucket:push:repository";
export const INSTALLED_EVENT = "avi:forge:installed:app";
export const UNINSTALLED_EVENT = "avi:forge:uninstalled:app";

/** The Bitbucket UI modules the sandbox renders, in the order its pages show them. */
export const UI_MODULE_TYPES = ["bitbucket:repoMainMenuPage", "bitbucket:repoCodeOverviewCard", "bitbucket:repoSettingsMenuPage"] as const;
export type UiModuleType = (typeof UI_MODULE_TYPES)[number];

/** Forge's module type for a trigger, as FITs name it. */
export const TRIGGER_TYPE = "core:trigger";

const enabled = z.object({ enabled: z.boolean().default(false) }).partial().optional();
const title = z.union([z.string(), z.object({ i18n: z.string() }).transform((t) => t.i18n)]);
const uiModule = z.object({ key: z.string().min(1), title: title.optional(), resource: z.string().min(1), resolver: z.object({ endpoint: z.string() }).partial().optional() });

const manifestSchema = z.object({
  app: z.object({ id: z.string().min(1) }),
  modules: z.object({
    trigger: z.array(z.object({ key: z.string().min(1), endpoint: z.string().optional(), events: z.array(z.string()).default([]) })).default([]),
    endpoint: z
      .array(
        z.object({
          key: z.string().min(1),
          remote: z.string().optional(),
          route: z.object({ path: z.string() }).optional(),
          auth: z.object({ appSystemToken: enabled, appUserToken: enabled }).partial().optional(),
        }),
      )
      .default([]),
    "bitbucket:repoMainMenuPage": z.array(uiModule).default([]),
    "bitbucket:repoCodeOverviewCard": z.array(uiModule).default([]),
    "bitbucket:repoSettingsMenuPage": z.array(uiModule).default([]),
  }),
  resources: z.array(z.object({ key: z.string().min(1), path: z.string().min(1) })).default([]),
  remotes: z.array(z.object({ key: z.string().min(1), baseUrl: z.string() })).default([]),
});

export interface ForgeEndpoint {
  key: string;
  /** Absolute base URL of the endpoint's remote (after the install's override). */
  baseUrl: string;
  /** The endpoint's route path ("" when it has none). */
  path: string;
  systemToken: boolean;
  userToken: boolean;
}

export interface ForgeTrigger {
  key: string;
  events: string[];
  endpoint: string;
}

export interface ForgeUiModule {
  key: string;
  type: UiModuleType;
  title: string;
  /** The resource's folder, absolute. */
  resourceDir: string;
  resourceKey: string;
  /** The resolver endpoint's key, if any. */
  endpoint?: string;
}

/** A manifest as an installation keeps it (JSON: persisted in state.json). */
export interface ForgeApp {
  appId: string;
  triggers: ForgeTrigger[];
  endpoints: ForgeEndpoint[];
  uiModules: ForgeUiModule[];
}

/**
 * Reads manifest.yml; `remoteBaseUrl` replaces every remote's baseUrl (the file holds a
 * placeholder). Resource paths are taken relative to the manifest's folder.
 */
export async function readForgeApp(manifestPath: string, remoteBaseUrl?: string): Promise<ForgeApp> {
  let text: string;
  try {
    text = await readFile(manifestPath, "utf8");
  } catch (err) {
    throw new InstallError("forge.manifest_unreadable", `cannot read the Forge manifest ${manifestPath}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new InstallError("forge.manifest_invalid", `${manifestPath} is not YAML: ${(err as Error).message}`);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) throw new InstallError("forge.manifest_invalid", `${manifestPath} is not a Forge manifest: ${z.prettifyError(parsed.error)}`);
  const m = parsed.data;
  const override = remoteBaseUrl?.replace(/\/+$/, "");
  const remotes = new Map(m.remotes.map((r) => [r.key, override ?? r.baseUrl.replace(/\/+$/, "")]));
  const endpoints = m.modules.endpoint.map((e) => {
    const baseUrl = e.remote ? remotes.get(e.remote) : undefined;
    if (!baseUrl) throw new InstallError("forge.manifest_invalid", `endpoint ${e.key} names remote "${e.remote ?? ""}", which the manifest does not declare`);
    return {
      key: e.key,
      baseUrl,
      path: e.route?.path ?? "",
      systemToken: e.auth?.appSystemToken?.enabled === true,
      userToken: e.auth?.appUserToken?.enabled === true,
    };
  });
  const resources = new Map(m.resources.map((r) => [r.key, resolve(dirname(resolve(manifestPath)), r.path)]));
  const uiModules = UI_MODULE_TYPES.flatMap((type) =>
    m.modules[type].map((mod) => {
      const resourceDir = resources.get(mod.resource);
      if (!resourceDir) throw new InstallError("forge.manifest_invalid", `module ${mod.key} names resource "${mod.resource}", which the manifest does not declare`);
      return { key: mod.key, type, title: mod.title ?? mod.key, resourceDir, resourceKey: mod.resource, ...(mod.resolver?.endpoint ? { endpoint: mod.resolver.endpoint } : {}) };
    }),
  );
  const triggers = m.modules.trigger.filter((t) => t.endpoint).map((t) => ({ key: t.key, events: t.events, endpoint: t.endpoint as string }));
  return { appId: m.app.id, triggers, endpoints, uiModules };
}

/** The trigger on `event` and the endpoint it delivers to, if the app has one. */
export function triggerFor(app: ForgeApp, event: string): { trigger: ForgeTrigger; endpoint: ForgeEndpoint } | undefined {
  const trigger = app.triggers.find((t) => t.events.includes(event));
  const endpoint = trigger && app.endpoints.find((e) => e.key === trigger.endpoint);
  return trigger && endpoint ? { trigger, endpoint } : undefined;
}

export function endpointOf(app: ForgeApp, key: string | undefined): ForgeEndpoint | undefined {
  return key === undefined ? undefined : app.endpoints.find((e) => e.key === key);
}
