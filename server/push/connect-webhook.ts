import { setTimeout as sleep } from "node:timers/promises";
import type { Request, Response, Router } from "express";
import express from "express";
import type { Logger } from "../../core/log.ts";
import type { Addon } from "../addon/ace.ts";
import { ROUTES } from "../addon/descriptor.ts";
import type { InstallVerifier } from "../addon/install-verification.ts";
import { JwtRejected, verifyJwt } from "../addon/verify-jwt.ts";
import { handlePush, type PushHandlerDeps } from "./push-handler.ts";
import { NOT_JSON, openDelivery, parseJson, readBody, verifiedPush } from "./read-delivery.ts";

/**
 * `POST /webhooks/repo-push`: Connect's repo:push webhook. It shadows the route ACE registers for
 * the descriptor's webhook (see addon/ace.ts). In order (read-delivery.ts has the shared steps):
 *   1. body capped at 256 KB → 413;
 *   2. the JWT verified (Hoist's checks, see addon/verify-jwt.ts) → 401, nothing recorded; the
 *      body is parsed as JSON first only because a Connect JWT may travel in it;
 *   3. only then is the body's meaning read: not JSON / not a repo:push → 400, another event → 204;
 *   4. 204 at once; the deploy work runs after the answer (Bitbucket waits 10 s at most).
 */
export function connectWebhookRouter(deps: PushHandlerDeps & { addon: Addon; logger: Logger; schedule: (task: () => Promise<void>) => void }): Router {
  const router = express.Router();
  router.post(ROUTES.repoPush, async (req: Request, res: Response) => {
    const delivery = openDelivery(req, res, deps.logger);
    const body = await readBody(req, res, delivery);
    if (!body) return;
    const json = parseJson(body);
    req.body = json && json !== NOT_JSON && typeof json === "object" && !Array.isArray(json) ? json : {};
    let clientKey: string;
    try {
      clientKey = await verifiedIssuer(deps, req);
    } catch (err) {
      if (!(err instanceof JwtRejected)) throw err;
      delivery.log.warn({ reason: err.message }, "webhook refused: bad JWT");
      return delivery.refuse(401, "auth.invalid", `Webhook refused: ${err.message}.`);
    }
    const verified = { ...delivery, log: delivery.log.child({ clientKey }) };
    const payload = verifiedPush(req, res, verified, json);
    if (!payload) return;
    res.status(204).end();
    const { log, deliveryId } = verified;
    deps.schedule(() => handlePush(deps, { clientKey, deliveryId, payload, log }).catch((err) => log.error({ err }, "push handling failed")));
  });
  return router;
}

/** How long a delivery racing a fresh install waits for its verification (Bitbucket waits 10 s for the answer). */
const RACING_INSTALL_WAIT_MS = 5000;

/**
 * The verified clientKey of the delivery. A fresh install becomes an installation only once
 * verified, a moment after Bitbucket saw it answered; a push sent in that moment waits for the
 * verification in flight instead of being refused (Bitbucket does not redeliver after a 401).
 */
async function verifiedIssuer(deps: { addon: Addon; verifier: InstallVerifier }, req: Request): Promise<string> {
  try {
    return (await verifyJwt(deps.addon, req, "request")).clientKey;
  } catch (err) {
    const issuer = err instanceof JwtRejected ? err.unknownIssuer : undefined;
    if (!issuer || !deps.verifier.isRunning(issuer)) throw err;
    await Promise.race([deps.verifier.settled(issuer), sleep(RACING_INSTALL_WAIT_MS)]);
    return (await verifyJwt(deps.addon, req, "request")).clientKey;
  }
}
