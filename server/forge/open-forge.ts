import type { Router } from "express";
import type { Clients } from "../../core/aws.ts";
import type { Config } from "../../core/config.ts";
import type { Logger } from "../../core/log.ts";
import type { BitbucketClient, BitbucketCredentials } from "../bitbucket/client.ts";
import { RepoAccess } from "../dashboard/access.ts";
import { panelApiRouter, type PanelApiDeps } from "../panel-api/routes.ts";
import type { PushPipelineDeps } from "../push/push-handler.ts";
import { readForgeRoutes } from "./app-manifest.ts";
import { forgeApiRouter, forgeDoor } from "./forge-api.ts";
import { forgeEventsRouter } from "./forge-events.ts";
import { FitVerifier } from "./fit.ts";
import { installationOf, isForgeOwner } from "./owner.ts";
import { ProductTokens } from "./product-tokens.ts";
import { ensureForgeTable, ForgeStore, forgeTable } from "./store.ts";

/**
 * Hoist as the Forge app's remote (docs/forge.md), composed: present only when HOIST_FORGE_APP_ID
 * is set. `credentials` answers for `forge:<installation>` owners (owners/owner-credentials.ts);
 * `mount` adds the event routes (paths from forge/manifest.yml), the repository routes and the
 * panel API's Forge door.
 */
export type Forge = {
  credentials(owner: string): Promise<BitbucketCredentials | undefined>;
  mount(routes: Router, deps: { pipeline: PushPipelineDeps; panel: PanelApiDeps; schedule: (task: () => Promise<void>) => void; isDirectSite: (siteId: string) => Promise<boolean> }): void;
};

export type ForgeOptions = { jwksCooldownMs?: number };

export async function openForge(deps: { config: Config; clients: Clients; bitbucket: BitbucketClient; logger: Logger; options?: ForgeOptions }): Promise<Forge | undefined> {
  const { config } = deps;
  const appId = config.forge.appId;
  if (!appId) return undefined;
  const routes = readForgeRoutes(config.forge.manifestPath);
  await ensureForgeTable(deps.clients.dynamo, config);
  const store = new ForgeStore(deps.clients.db, forgeTable(config));
  const tokens = new ProductTokens(config.bitbucket.url);
  const verifier = new FitVerifier({ appId, jwksUrl: config.forge.jwksUrl, production: config.production, cooldownMs: deps.options?.jwksCooldownMs });
  const logger = deps.logger.child({ component: "forge" });
  return {
    credentials: async (owner) => {
      if (!isForgeOwner(owner)) return undefined;
      const installation = await store.get(installationOf(owner));
      return installation?.state === "installed" ? tokens.systemCredentials(installation.installationId) : undefined;
    },
    mount(router, m) {
      const api = { verifier, store, tokens, bitbucket: deps.bitbucket, access: new RepoAccess(deps.bitbucket), sites: m.panel.sites, bitbucketUrl: config.bitbucket.url, logger, isDirectSite: m.isDirectSite };
      router.use(forgeEventsRouter({ routes, verifier, store, tokens, bitbucket: deps.bitbucket, pipeline: m.pipeline, logger, schedule: m.schedule, isDirectSite: m.isDirectSite }));
      router.use(forgeApiRouter(api));
      router.use(panelApiRouter(m.panel, forgeDoor(api)));
    },
  };
}
