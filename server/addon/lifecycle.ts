import express, { type Request, type Response, type Router } from "express";
import type { Logger } from "../../core/log.ts";
import { saveInstallation, type Addon } from "./ace.ts";
import { connectHosts, isAllowedHostUrl } from "./connect-hosts.ts";
import type { Config } from "../../core/config.ts";
import { ROUTES } from "./descriptor.ts";
import type { InstallVerifier } from "./install-verification.ts";
import type { Installations } from "./installations.ts";
import { extractToken, forgetSecret, JwtRejected, verifyJwt } from "./verify-jwt.ts";

/**
 * `/installed` and `/uninstalled` (ACE adds neither with `setupInstallRoute: false`, and never
 * the second). Install checks, in order:
 *  1. the payload is JSON with clientKey, sharedSecret and a baseUrl/baseApiUrl on an allowed host;
 *  2. a known clientKey must be re-installed with a JWT signed by its STORED secret (Hoist's
 *     checks, then ACE's verifyInstallation, which also refuses a token whose clientKey differs
 *     from the body's); an unknown one may come unsigned, and is verified afterwards (install-verification.ts);
 *  3. Hoist marks it installed-unverified, ACE saves it (ace.ts, item 5), verification starts.
 * Uninstall must be signed with the stored secret; it marks the installation uninstalled and
 * keeps everything else (history, the ACE record that makes a re-install need the old secret).
 */

export type LifecycleDeps = { addon: Addon; config: Config; installations: Installations; verifier: InstallVerifier; logger: Logger };

const MAX_LIFECYCLE_BYTES = 64 * 1024;

export function lifecycleRouter(deps: LifecycleDeps): Router {
  const router = express.Router();
  const json = express.json({ limit: MAX_LIFECYCLE_BYTES });
  const hosts = connectHosts(deps.config);
  const refuse = (res: Response, status: number, code: string, message: string) => res.status(status).json({ error: { code, message } });

  router.post(ROUTES.installed, json, async (req: Request, res: Response, next) => {
    try {
      const body = req.body as Record<string, unknown>;
      const clientKey = typeof body?.clientKey === "string" ? body.clientKey : "";
      if (!clientKey || typeof body.sharedSecret !== "string" || !body.sharedSecret) {
        return refuse(res, 400, "install.invalid", "The install payload needs clientKey and sharedSecret.");
      }
      if (!isAllowedHostUrl(body.baseUrl, hosts, "baseUrl") || (body.baseApiUrl !== undefined && !isAllowedHostUrl(body.baseApiUrl, hosts, "api"))) {
        deps.logger.warn({ clientKey }, "install refused: baseUrl or baseApiUrl is not a Bitbucket host");
        return refuse(res, 401, "install.host_not_allowed", "Hoist installs only from Bitbucket Cloud.");
      }
      const known = await deps.installations.get(clientKey);
      if (known || hasToken(req)) {
        // A re-install (or any signed install): Hoist's checks against the stored secret first.
        if (!known) return refuse(res, 401, "auth.invalid", "This installation is not known; a first install is not signed.");
        await verifyJwt(deps.addon, req, "request", { fresh: true });
      }
      res.locals.reinstall = Boolean(known);
      next();
    } catch (err) {
      if (err instanceof JwtRejected) {
        deps.logger.warn({ reason: err.message }, "install refused: bad signature");
        return refuse(res, 401, "auth.invalid", `Re-install refused: ${err.message}.`);
      }
      next(err);
    }
  });
  router.post(
    ROUTES.installed,
    ...saveInstallation(deps.addon, {
      // Hoist's state first, so a webhook racing the install sees "unverified".
      before: (req) => deps.installations.markInstalled((req.body as { clientKey: string }).clientKey),
      after: (req, res) => {
        const clientKey = (req.body as { clientKey: string }).clientKey;
        forgetSecret(deps.addon, clientKey);
        deps.logger.info({ clientKey, reinstall: res.locals.reinstall }, "installed");
        void deps.verifier.verify(clientKey);
      },
    }),
  );

  router.post(ROUTES.uninstalled, json, async (req: Request, res: Response, next) => {
    try {
      const verified = await verifyJwt(deps.addon, req, "request", { fresh: true });
      const bodyKey = (req.body as { clientKey?: unknown })?.clientKey;
      if (bodyKey !== verified.clientKey) return refuse(res, 401, "auth.invalid", "The uninstall payload names another installation than its signature.");
      await deps.installations.markUninstalled(verified.clientKey);
      forgetSecret(deps.addon, verified.clientKey);
      deps.logger.info({ clientKey: verified.clientKey }, "uninstalled; deploys stopped, history kept");
      res.status(204).end();
    } catch (err) {
      if (err instanceof JwtRejected) return refuse(res, 401, "auth.invalid", `Uninstall refused: ${err.message}.`);
      next(err);
    }
  });
  return router;
}

function hasToken(req: Request): boolean {
  try {
    extractToken(req);
    return true;
  } catch {
    return false;
  }
}
