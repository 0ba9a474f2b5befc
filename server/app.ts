import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import express, { type NextFunction, type Request, type Response } from "express";
import type { Clients } from "../core/aws.ts";
import type { Config } from "../core/config.ts";
import { DeployRecords } from "../core/deploy-records.ts";
import type { Logger } from "../core/log.ts";
import { Sites } from "../core/sites.ts";
import { openAddon, type Addon } from "./addon/ace.ts";
import { InstallVerifier } from "./addon/install-verification.ts";
import { Installations } from "./addon/installations.ts";
import { lifecycleRouter } from "./addon/lifecycle.ts";
import { BitbucketClient } from "./bitbucket/client.ts";
import { DeployQueue } from "./deploys/deploy-queue.ts";
import { sendPlainPage } from "./gateway/plain-page.ts";
import { createSiteServer, type SiteServer } from "./gateway/router.ts";
import { DirectSites, type DirectSite } from "./owners/direct-sites.ts";
import { ownerCredentials } from "./owners/owner-credentials.ts";
import { openDashboard } from "./dashboard/open-dashboard.ts";
import { openForge, type ForgeOptions } from "./forge/open-forge.ts";
import { connectDoor } from "./panel-api/connect-door.ts";
import { panelApiRouter } from "./panel-api/routes.ts";
import { panelRouter } from "./panel/serve-panel.ts";
import { connectWebhookRouter } from "./push/connect-webhook.ts";
import { directWebhookRouter } from "./push/direct-webhook.ts";
import { PushWork } from "./push/push-work.ts";

/**
 * The Express app, composed from its parts (docs/architecture.md, "The server"). Order matters:
 *   1. the hosting gateway: any Host under the sites domain is a site and never reaches the routes below;
 *   2. Hoist's routes (descriptor, lifecycle, webhooks — Connect and direct —, panel, panel API,
 *      with an OAuth consumer configured, sign-in and the dashboard, and with a Forge app id, the
 *      Forge app's remote routes), ahead of ACE's own
 *      (addon/ace.ts, openAddon);
 *   3. ACE's own routes (shadowed, or on paths nothing uses);
 *   4. a plain 404 for anything else, and the error handler.
 */

export type AppOptions = {
  /** Seconds without archive bytes before a download counts as stalled. */
  fetchStallMs?: number;
  /** Delays between install verification attempts (tests shorten them). */
  verifyDelaysMs?: number[];
  webDir?: string;
  pollMs?: number;
  /** Delays between archive download attempts (tests shorten them). */
  fetchRetryDelaysMs?: number[];
  forge?: ForgeOptions;
};

export type HoistApp = {
  app: express.Express;
  /** The hosting gateway, answered before Express for any host under the sites domain. */
  siteServer: SiteServer;
  addon: Addon;
  installations: Installations;
  verifier: InstallVerifier;
  queue: DeployQueue;
  records: DeployRecords;
  sites: Sites;
  /** Resolves when every push and deploy this process started has finished. */
  idle(): Promise<void>;
  /** Shutdown: waits up to `graceMs` for push work and watched deploys, then hands their stages back. */
  stop(graceMs: number): Promise<void>;
};

export async function createHoistApp(deps: {
  config: Config;
  clients: Clients;
  logger: Logger;
  embedded: boolean;
  options?: AppOptions;
  /** Direct-mode sites, read from HOIST_DIRECT_SITES_FILE by hoist-server.ts. */
  directSites?: readonly DirectSite[];
}): Promise<HoistApp> {
  const { config, clients, logger } = deps;
  const options = deps.options ?? {};
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
  const siteServer = createSiteServer({ config, clients, logger });
  // The server hands site hosts to `siteServer` directly (hoist-server.ts); this covers any other caller of `app`.
  app.use((req: Request, res: Response, next: NextFunction) => (siteServer.handles(req.headers.host) ? siteServer.handle(req, res) : next()));

  const records = new DeployRecords(clients.db, config.tables.deploys);
  const sites = new Sites(clients.db, config.tables.sites);
  const bitbucket = new BitbucketClient(logger, { stallMs: options.fetchStallMs ?? 30_000 });
  const dashboard = await openDashboard({ config, clients, bitbucket, logger, webDir: options.webDir });
  const direct = new DirectSites(deps.directSites, dashboard?.connected);
  const forge = await openForge({ config, clients, bitbucket, logger, options: options.forge });
  const pushWork = new PushWork();
  const schedule = (task: () => Promise<void>) => pushWork.schedule(task);
  const { addon, routes } = await openAddon(app, { config, dynamo: clients.dynamo, embedded: deps.embedded, logger });
  const installations = new Installations(addon);
  const verifier = new InstallVerifier(installations, bitbucket, logger, options.verifyDelaysMs);
  const credentials = ownerCredentials(installations, direct, forge);
  const queue = new DeployQueue({ config, clients, records, sites, credentials, bitbucket, logger, pollMs: options.pollMs, fetchRetryDelaysMs: options.fetchRetryDelaysMs, onCredentials: dashboard?.attention });
  const pipeline = { bitbucket, records, sites, queue };
  routes.use(lifecycleRouter({ addon, config, installations, verifier, logger }));
  routes.use(connectWebhookRouter({ ...pipeline, addon, logger, installations, verifier, isDirectSite: (siteId) => direct.has(siteId), schedule }));
  routes.use(directWebhookRouter({ ...pipeline, direct, logger, schedule }));
  routes.use(panelRouter({ addon, config, installations, logger, webDir: options.webDir }));
  routes.use(panelApiRouter({ ...pipeline, config, clients, logger }, connectDoor({ addon, installations, sites })));
  dashboard?.mount(routes, { panel: { ...pipeline, config, clients, logger }, direct, credentials });
  forge?.mount(routes, { pipeline, panel: { ...pipeline, config, clients, logger }, schedule, isDirectSite: (siteId) => direct.has(siteId) });

  app.use((req: Request, res: Response) => sendPlainPage(res, { status: 404, title: "Not found", message: "There is nothing here." }, randomUUID(), req.method === "HEAD"));
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    logger.error({ err }, "request failed");
    if (!res.headersSent) res.status(500).type("text/plain").send("Hoist could not answer this request.");
  });

  return {
    app,
    siteServer,
    addon,
    installations,
    verifier,
    queue,
    records,
    sites,
    idle: async () => {
      await pushWork.idle();
      await queue.idle();
    },
    stop: async (graceMs) => {
      await Promise.race([pushWork.idle(), sleep(graceMs)]);
      await queue.stop(graceMs);
    },
  };
}
