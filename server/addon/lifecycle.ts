import express, { type NextFunction, type Request, type Response, type Router } from "express";
import { z } from "zod";
import type { Logger } from "../../core/log.ts";
import { saveInstallation, type Addon } from "./ace.ts";
import { connectHosts, isAllowedHostUrl } from "./connect-hosts.ts";
import type { Config } from "../../core/config.ts";
import { ROUTES } from "./descriptor.ts";
import type { InstallVerifier } from "./install-verification.ts";
import { Installations, type ClientInfo } from "./installations.ts";
import { extractToken, forgetSecret, JwtRejected, verifyJwt } from "./verify-jwt.ts";

/**
 * `/installed` and `/uninstalled` (ACE adds neither with `setupInstallRoute: false`, and never
 * the second). Install checks, in order:
 *  1. the payload is JSON with clientKey, sharedSecret and a baseUrl/baseApiUrl on an allowed host;
 *  2. a clientKey whose installation was ever verified must be re-installed with a JWT signed by
 *     its STORED secret (Hoist's checks, then ACE's verifyInstallation, which also refuses a token
 *     whose clientKey differs from the body's); Hoist marks it installed-unverified, ACE saves it
 *     (ace.ts, item 5), verification starts;
 *  3. any other install comes unsigned: it is kept apart as a candidate and verified afterwards
 *     (installations.ts, install-verification.ts), so it can never block or replace the real one.
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
      const parsed = InstallPayload.safeParse(req.body);
      if (!parsed.success) {
        return refuse(res, 400, "install.invalid", "The install payload needs clientKey, sharedSecret and baseUrl (Bitbucket sends them on every install).");
      }
      const info = parsed.data;
      const { clientKey } = info;
      if (!isAllowedHostUrl(info.baseUrl, hosts, "baseUrl") || (info.baseApiUrl !== undefined && !isAllowedHostUrl(info.baseApiUrl, hosts, "api"))) {
        deps.logger.warn({ clientKey }, "install refused: baseUrl or baseApiUrl is not a Bitbucket host");
        return refuse(res, 401, "install.host_not_allowed", "Hoist installs only from Bitbucket Cloud.");
      }
      const known = await deps.installations.get(clientKey);
      if (!Installations.trusted(known) && !hasToken(req)) {
        // An unsigned first install (or another one, while none has been verified): kept apart
        // until Bitbucket confirms its credentials (installations.ts). It never touches a stored installation.
        await deps.installations.addCandidate(info);
        deps.logger.info({ clientKey }, "first install received; verifying its credentials with Bitbucket");
        res.status(204).end();
        void deps.verifier.verify(clientKey);
        return;
      }
      // A re-install (or any signed install): Hoist's checks against the stored secret first, then ACE's.
      if (!known) return refuse(res, 401, "auth.invalid", "This installation is not known; a first install is not signed.");
      await verifyJwt(deps.addon, req, "request", { fresh: true });
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
      after: (req) => {
        const clientKey = (req.body as { clientKey: string }).clientKey;
        forgetSecret(deps.addon, clientKey);
        deps.logger.info({ clientKey }, "re-installed");
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
  // express.json's own failures: a body that is not JSON, or too large, is the sender's fault.
  router.use((err: { type?: string }, _req: Request, res: Response, next: NextFunction) => {
    if (err?.type === "entity.parse.failed") return refuse(res, 400, "install.invalid", "The lifecycle payload is not JSON.");
    if (err?.type === "entity.too.large") return refuse(res, 413, "install.too_large", `Lifecycle payloads over ${MAX_LIFECYCLE_BYTES / 1024} KB are refused.`);
    next(err);
  });
  return router;
}

/** The install payload fields Hoist keeps (a candidate waits in the store, so it is kept small). */
const InstallPayload = z
  .object({
    key: z.string().max(100).optional(),
    clientKey: z.string().min(1).max(300),
    sharedSecret: z.string().min(1).max(1000),
    baseUrl: z.string().max(300),
    baseApiUrl: z.string().max(300).optional(),
    productType: z.string().max(50).optional(),
    principal: z.object({ type: z.string().max(50).optional(), uuid: z.string().max(100).optional(), username: z.string().max(100).optional() }).optional(),
  })
  .transform((p): ClientInfo => p);

function hasToken(req: Request): boolean {
  try {
    extractToken(req);
    return true;
  } catch {
    return false;
  }
}
