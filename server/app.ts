import { randomUUID } from "node:crypto";
import express, { type NextFunction, type Request, type Response } from "express";
import type { Clients } from "../lambda/core/aws.ts";
import type { Config } from "../lambda/core/config.ts";
import { DeployRecords } from "../lambda/core/deploy-records.ts";
import type { Logger } from "../lambda/core/log.ts";
import { Sites } from "../lambda/core/sites.ts";
import { BitbucketClient } from "./bitbucket/client.ts";
import { createAddon, type Addon } from "./connect/ace.ts";
import { ROUTES } from "./connect/descriptor.ts";
import { InstallVerifier } from "./connect/install-verification.ts";
import { Installations } from "./connect/installations.ts";
import { lifecycleRouter } from "./connect/lifecycle.ts";
import { DirectSites, ownerCredentials } from "./direct/direct-sites.ts";
import { directWebhookRouter } from "./direct/direct-webhook.ts";
import type { DirectSite } from "./direct/sites-file.ts";
import { createGateway } from "./gateway/router.ts";
import { sendPlainPage } from "./gateway/plain-page.ts";
import { panelApiRouter } from "./panel-api/routes.ts";
import { panelRouter } from "./panel/serve-panel.ts";
import { DeliveryDedupe } from "./push/delivery-dedupe.ts";
import { DeployQueue } from "./push/deploy-queue.ts";
import { StageLock } from "./push/stage-lock.ts";
import { webhookRouter } from "./push/webhook.ts";
import { PushWork } from "./push/push-work.ts";

/**
 * The add-on server, composed. Order matters:
 *   1. the hosting gateway: any Host under the sites domain is a site and never reaches Connect routes;
 *   2. Hoist's routes (lifecycle, webhooks — Connect and direct —, panel, panel API), mounted before ACE adds its own
 *      (ACE registers its descriptor and webhook routes on the next tick; ours shadow its webhook);
 *   3. ACE's own routes (shadowed, or on paths nothing uses);
 *   4. a plain 404 for anything else.
 */

export type AppOptions = {
  /** Seconds without archive bytes before a download counts as stalled. */
  fetchStallMs?: number;
  /** Delays between install verification attempts (tests shorten them). */
  verifyDelaysMs?: number[];
  webDir?: string;
  pollMs?: number;
};

export type HoistApp = {
  app: express.Express;
  addon: Addon;
  installations: Installations;
  verifier: InstallVerifier;
  queue: DeployQueue;
  records: DeployRecords;
  sites: Sites;
  /** Resolves when every push and deploy this process started has finished. */
  idle(): Promise<void>;
};

export async function createHoistApp(deps: {
  config: Config;
  clients: Clients;
  logger: Logger;
  embedded: boolean;
  options?: AppOptions;
  /** Direct-mode sites, read from HOIST_DIRECT_SITES_FILE by the entry point (run-hoist.ts). */
  directSites?: readonly DirectSite[];
}): Promise<HoistApp> {
  const { config, clients, logger } = deps;
  const options = deps.options ?? {};
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
  app.use(createGateway({ config, clients, logger }));
  const hoistRoutes = express.Router();
  app.use(hoistRoutes);

  const addon = await createAddon({ app, config, dynamo: clients.dynamo, embedded: deps.embedded, logger });
  const records = new DeployRecords(clients.db, config.tables.deploys);
  const sites = new Sites(clients.db, config.tables.sites);
  const installations = new Installations(addon);
  const bitbucket = new BitbucketClient(logger, { stallMs: options.fetchStallMs ?? 30_000 });
  const verifier = new InstallVerifier(installations, bitbucket, logger, options.verifyDelaysMs);
  const direct = new DirectSites(deps.directSites);
  const credentials = ownerCredentials(installations, direct);
  const queue = new DeployQueue({ config, clients, records, lock: new StageLock(clients.db, config.tables.sites), credentials, bitbucket, logger, pollMs: options.pollMs });
  const dedupe = new DeliveryDedupe(clients.db, config.tables.deploys);
  const pushWork = new PushWork();
  const schedule = (task: () => Promise<void>) => pushWork.schedule(task);

  // ACE serves the descriptor at the path of its descriptor file; Hoist loads it by absolute path, so serves it here.
  hoistRoutes.get(ROUTES.descriptor, (_req, res) => void res.json(addon.descriptor));
  hoistRoutes.use(lifecycleRouter({ addon, config, installations, verifier, logger }));
  hoistRoutes.use(
    webhookRouter({
      addon,
      logger,
      installations,
      verifier,
      bitbucket,
      records,
      sites,
      dedupe,
      queue,
      isDirectSite: (siteId) => direct.has(siteId),
      schedule,
    }),
  );
  hoistRoutes.use(directWebhookRouter({ direct, logger, bitbucket, records, sites, dedupe, queue, schedule }));
  hoistRoutes.use(panelRouter({ addon, config, installations, logger, webDir: options.webDir }));
  hoistRoutes.use(panelApiRouter({ addon, config, clients, records, sites, installations, bitbucket, queue, logger }));

  // ACE adds its routes on the next tick; the catch-alls go after them.
  await new Promise((resolve) => setImmediate(resolve));
  app.use((req: Request, res: Response) => sendPlainPage(res, { status: 404, title: "Not found", message: "There is nothing here." }, randomUUID(), req.method === "HEAD"));
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    logger.error({ err }, "request failed");
    if (!res.headersSent) res.status(500).type("text/plain").send("Hoist could not answer this request.");
  });

  return {
    app,
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
  };
}
