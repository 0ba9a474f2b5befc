import type { RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { EMBEDDED_CREDENTIALS } from "../core/aws.ts";
import { configToEnv, type Config } from "../core/config.ts";
import { DeployRecords } from "../core/deploy-records.ts";
import type { Logger } from "../core/log.ts";
import { createHoistApp, type AppOptions, type HoistApp } from "./app.ts";
import { openBackend, storageAnswers, type Backend } from "./backend.ts";
import { loadDirectSites } from "./owners/direct-sites-file.ts";
import { LocalLambda } from "./local/lambda-runner.ts";
import { connectStagingTrigger, type StagingTrigger } from "./local/staging-trigger.ts";
import { openFront } from "./listen.ts";
import { SWEEP_MS } from "./deploys/deploy-queue.ts";
import { isSiteHost } from "./gateway/site-host.ts";

/**
 * One running Hoist server, as start.ts (and tests) start it: the backend (embedded or AWS), the
 * HTTP server on PORT serving the app (app.ts: add-on + gateway), and in embedded mode the local
 * Lambda runner fed by the staging bucket's ObjectCreated events (in AWS the real S3 → Lambda
 * notification does that). With PORT=0 the port is chosen first and the default base URL and
 * sites domain follow it.
 */

export type RunningHoist = {
  url: string;
  /** Where the HTTP server listens. */
  listening: AddressInfo;
  config: Config;
  backend: Backend;
  hoist: HoistApp;
  trigger?: StagingTrigger;
  close(): Promise<void>;
};

/** How long a stopping server waits for requests in flight, and then for the deploys it watches. */
const REQUEST_GRACE_MS = 10_000;
const DEPLOY_GRACE_MS = 20_000;

export async function runHoist(config: Config, logger: Logger, opts: { app?: AppOptions; lambdaRetryDelaysMs?: number; explicitBaseUrl?: boolean } = {}): Promise<RunningHoist> {
  // Read once, before anything listens: a broken sites file stops the start with its reason.
  const directSites = config.directSitesFile ? loadDirectSites(config.directSitesFile) : [];
  if (directSites.length > 0) logger.info({ sites: directSites.map((s) => s.siteId) }, "direct mode: sites configured");
  // Listening at once: until the app is ready every request gets 503 with Retry-After (listen.ts).
  const front = await openFront(config.port, config.listenHost);
  const effectiveBase = withPort(config, front.port, opts.explicitBaseUrl ?? false);
  let backend: Backend | undefined;
  let lambda: LocalLambda | undefined;
  let trigger: StagingTrigger | undefined;
  try {
    backend = await openBackend(effectiveBase, logger, { exclusive: true });
    const cfg = backend.config;
    if (backend.embedded?.owner) {
      const env = { ...configToEnv(cfg), AWS_ACCESS_KEY_ID: EMBEDDED_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: EMBEDDED_CREDENTIALS.secretAccessKey };
      const delay = opts.lambdaRetryDelaysMs ?? 1000;
      lambda = new LocalLambda({ env, timeoutSeconds: cfg.lambdaTimeoutSeconds, logger, retryDelaysMs: [delay, delay * 2] });
      lambda.prewarm();
      const records = new DeployRecords(backend.clients.db, cfg.tables.deploys);
      trigger = connectStagingTrigger({ backend: backend.embedded, lambda, s3: backend.clients.s3, records, config: cfg, logger });
      backend.embedded.announce({ deploys: true, sitesDomain: cfg.sitesDomain });
    }
    const hoist = await createHoistApp({ config: cfg, clients: backend.clients, logger, embedded: Boolean(backend.embedded), options: opts.app, directSites });
    const opened = backend;
    // A site host goes straight to the gateway: no Express work on the path every visitor takes.
    const handler: RequestListener = (req, res) => (hoist.siteServer.handles(req.headers.host) ? hoist.siteServer.handle(req, res) : hoist.app(req, res));
    front.serve(handler, { ready: () => storageAnswers(opened), isSiteHost: (host) => isSiteHost(host, cfg) });
    // Stages whose process died (before this start, or any time later) are taken over here.
    const sweep = () => hoist.queue.recover().catch((err) => logger.error({ err }, "the sweep for stopped deploys failed"));
    void hoist.queue.recover({ everyStage: true }).catch((err) => logger.error({ err }, "the start-up sweep for stopped deploys failed"));
    const sweeper = setInterval(sweep, SWEEP_MS);
    sweeper.unref();
    const runningLambda = lambda;
    return {
      url: cfg.baseUrl,
      listening: front.server.address() as AddressInfo,
      config: cfg,
      backend: opened,
      hoist,
      trigger,
      close: async () => {
        clearInterval(sweeper);
        await front.close(REQUEST_GRACE_MS);
        await hoist.stop(DEPLOY_GRACE_MS);
        trigger?.disconnect();
        await runningLambda?.close();
        await opened.close();
      },
    };
  } catch (err) {
    await front.close(0);
    trigger?.disconnect();
    await lambda?.close();
    await backend?.close();
    throw err;
  }
}

/** With PORT=0, the defaults derived from the port ("localhost:0") follow the real one. */
export function withPort(config: Config, port: number, explicitBaseUrl: boolean): Config {
  if (config.port !== 0) return config;
  return {
    ...config,
    port,
    baseUrl: explicitBaseUrl ? config.baseUrl : config.baseUrl.replace(/:0$/, `:${port}`),
    sitesDomain: config.sitesDomain === "localhost:0" ? `localhost:${port}` : config.sitesDomain,
  };
}
