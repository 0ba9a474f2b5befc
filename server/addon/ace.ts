import { fileURLToPath } from "node:url";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import ace from "atlassian-connect-express";
import express, { type Application, type NextFunction, type Request, type RequestHandler, type Response, type Router } from "express";
import { EMBEDDED_CREDENTIALS } from "../../core/aws.ts";
import type { Config } from "../../core/config.ts";
import type { Logger } from "../../core/log.ts";
import { ensureTable, stringKeyedTable } from "../../core/setup.ts";
import { aceLogger } from "./ace-logger.ts";
import { connectHosts } from "./connect-hosts.ts";
import { ROUTES, transformDescriptor } from "./descriptor.ts";
import { JwtRejected, verifyJwt, type JwtMode } from "./verify-jwt.ts";

/**
 * THE seam between Hoist and atlassian-connect-express (ACE 11.5.3). Every workaround for ACE
 * lives in this file, so whoever upgrades ACE reads this list and re-checks each item:
 *
 *  1. Route order. ACE registers its own routes on the next tick after `ace(app, …)`. Hoist's
 *     routes go on a router placed in the app BEFORE that call (openAddon), so they win; the
 *     caller's catch-alls go after ACE's (openAddon resolves once ACE's are in).
 *  2. The webhook route. ACE auto-registers a route for each descriptor webhook that answers 204
 *     whatever the body holds, then emits an event. Hoist's own route on the same path
 *     (push/connect-webhook.ts), mounted first by (1), shadows it.
 *  3. The descriptor. Hoist hands ACE the descriptor by absolute path (DESCRIPTOR_FILE), so
 *     ACE's own descriptor route (at the file's path) is never the one served: openAddon
 *     serves `/atlassian-connect.json` itself. ACE would also merge a `config.json` from the
 *     working directory into its options; a file name that does not exist turns that off.
 *  4. The settings table. ACE's `dynamodb` store creates its table without waiting for it, so a
 *     first install arriving meanwhile fails: createAddon creates it first and waits.
 *  5. Installs. With `setupInstallRoute: false` ACE mounts neither lifecycle route
 *     (addon/lifecycle.ts does). To act once ACE has saved an install (postInstallation answers
 *     204 itself, with no callback), saveInstallation wraps `res.end`.
 *  6. JWT checks. ACE's authenticate() answers 400 to a bad signature, checks no `iat`, and would
 *     fetch a key from Atlassian's CDN for an RS256 install token. requireJwt runs Hoist's checks
 *     (verify-jwt.ts) first and hands only verified requests to ACE (which fills `req.context`
 *     and sends the refreshed session token in `X-acpt`).
 *  7. Logging. Outside production ACE prints each saved installation, shared secret included:
 *     it gets a logger of ours that redacts (ace-logger.ts).
 *  8. Hosts. In production ACE answers `/installed` with 500 unless a host whitelist is set; it
 *     matches hostnames as globs, so bracketed IPv6 literals are left to Hoist's own check.
 *  9. Types. ACE's TypeScript types need `skipLibCheck` (tsconfig.json).
 */

export type Addon = ace.AddOn;

const DESCRIPTOR_FILE = fileURLToPath(new URL("../../atlassian-connect.json", import.meta.url));
const NO_CONFIG_FILE = fileURLToPath(new URL("./ace-options-are-passed-in-code.json", import.meta.url));

/** The session tokens ACE hands the panel (X-acpt) live this long (ACE's default, 15 min). */
const SESSION_TOKEN_SECONDS = 15 * 60;

export function aceSettingsTable(config: Config): string {
  return `${config.tables.prefix}addon-settings`;
}

type AddonDeps = { config: Config; dynamo: DynamoDBClient; embedded: boolean; logger: Logger };

/**
 * ACE on `app`, and the router where Hoist's routes go: it sits in `app` ahead of ACE's own
 * routes (items 1–3), whenever routes are added to it. Resolves once ACE's routes are in, so what
 * the caller adds to `app` next (a 404, an error handler) comes after everything.
 */
export async function openAddon(app: Application, deps: AddonDeps): Promise<{ addon: Addon; routes: Router }> {
  const routes = express.Router();
  app.use(routes);
  const addon = await createAddon(app, deps);
  routes.get(ROUTES.descriptor, (_req, res) => void res.json(addon.descriptor));
  await new Promise((resolve) => setImmediate(resolve));
  return { addon, routes };
}

/** ACE configured entirely from Hoist's Config (items 3, 4, 7, 8). */
async function createAddon(app: Application, deps: AddonDeps): Promise<Addon> {
  const { config } = deps;
  const mode = config.production ? "production" : "development";
  app.set("env", mode);
  const table = aceSettingsTable(config);
  await ensureTable(deps.dynamo, stringKeyedTable(table, "clientKey", "key"));
  const store = {
    adapter: "dynamodb",
    table,
    region: config.region,
    ...(config.endpoints.dynamodb ? { endpoint: config.endpoints.dynamodb } : {}),
    ...(deps.embedded ? { credentials: EMBEDDED_CREDENTIALS } : {}),
  };
  const options = {
    product: "bitbucket",
    localBaseUrl: config.baseUrl,
    port: config.port,
    store,
    whitelist: connectHosts(config).baseUrlHosts.filter((h) => !h.startsWith("[")).join(","),
    setupInstallRoute: false,
    watch: false,
    validateDescriptor: false,
    maxTokenAge: SESSION_TOKEN_SECONDS,
    descriptorTransformer: (descriptor: Record<string, unknown>) => transformDescriptor(descriptor, config),
  };
  const opts = { config: { [mode]: options } } as unknown as ace.Options;
  const logger = aceLogger(deps.logger) as unknown as Console;
  return ace(app, opts, logger, { descriptorFilename: DESCRIPTOR_FILE, configFileName: NO_CONFIG_FILE });
}

/**
 * ACE's install handlers (item 5): its verifyInstallation (which also refuses a token whose
 * clientKey differs from the body's), then `before`, then ACE's save, then `after` once the save
 * answered 2xx.
 */
export function saveInstallation(addon: Addon, hooks: { before(req: Request): Promise<void>; after(req: Request, res: Response): void }): RequestHandler[] {
  const save: RequestHandler = (req, res, next) => {
    hooks.before(req).then(() => {
      const end = res.end.bind(res);
      res.end = ((...args: Parameters<Response["end"]>) => {
        const out = end(...args);
        if (res.statusCode < 300) hooks.after(req, res);
        return out;
      }) as Response["end"];
      addon.postInstallation()(req, res);
    }, next);
  };
  return [addon.verifyInstallation(), save];
}

/**
 * Express middleware (item 6): Hoist's checks, then ACE's own. `res.locals.jwt` holds the
 * verified result; a refused token answers through `reject`, and nothing of the request is acted on.
 */
export function requireJwt(addon: Addon, mode: JwtMode, reject: (res: Response, message: string) => void): RequestHandler {
  const aceCheck = mode === "request" ? addon.authenticate() : addon.checkValidToken();
  return (req: Request, res: Response, next: NextFunction) => {
    verifyJwt(addon, req, mode).then(
      (verified) => {
        res.locals.jwt = verified;
        req.body ??= {};
        aceCheck(req, res, next);
      },
      (err: unknown) => {
        if (err instanceof JwtRejected) return reject(res, err.message);
        next(err);
      },
    );
  };
}
