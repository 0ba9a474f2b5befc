import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { z } from "zod";

/**
 * The Forge app's manifest (forge/manifest.yml) is the one place the remote's routes are named:
 * the push route is the `route.path` of the endpoint that the trigger on
 * `avi:bitbucket:push:repository` delivers to, and the lifecycle route likewise for
 * `avi:forge:installed:app`. Hoist reads them here at start, so the file and the server cannot
 * disagree. docs/forge.md.
 */

export const PUSH_EVENT = "avi:bitbucket:push:repository";
export const INSTALLED_EVENT = "avi:forge:installed:app";
export const UNINSTALLED_EVENT = "avi:forge:uninstalled:app";

const Path = z.string().regex(/^\/[\w\-./]*$/, "must be an absolute path");
const Manifest = z.object({
  modules: z.object({
    trigger: z.array(z.object({ key: z.string(), endpoint: z.string().optional(), events: z.array(z.string()) })).default([]),
    endpoint: z.array(z.object({ key: z.string(), route: z.object({ path: Path }).optional() })).default([]),
  }),
});

export type ForgeRoutes = { pushPath: string; lifecyclePath?: string };

export function readForgeRoutes(manifestPath: string): ForgeRoutes {
  const parsed = Manifest.safeParse(parse(readFileSync(manifestPath, "utf8")));
  if (!parsed.success) throw new Error(`${manifestPath} is not a Forge manifest Hoist can read: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  const { trigger, endpoint } = parsed.data.modules;
  const pathFor = (event: string): string | undefined => {
    const key = trigger.find((t) => t.events.includes(event))?.endpoint;
    return key ? endpoint.find((e) => e.key === key)?.route?.path : undefined;
  };
  const pushPath = pathFor(PUSH_EVENT);
  if (!pushPath) throw new Error(`${manifestPath} has no trigger on ${PUSH_EVENT} delivered to an endpoint with a route path`);
  const lifecyclePath = pathFor(INSTALLED_EVENT);
  return { pushPath, ...(lifecyclePath ? { lifecyclePath } : {}) };
}
