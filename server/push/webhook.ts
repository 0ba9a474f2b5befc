import { randomUUID } from "node:crypto";
import type { Request, Response, Router } from "express";
import express from "express";
import type { Logger } from "../../lambda/core/log.ts";
import type { Addon } from "../connect/ace.ts";
import { ROUTES } from "../connect/descriptor.ts";
import { JwtRejected, verifyJwt } from "../connect/verify-jwt.ts";
import { readPushDelivery } from "./parse-push.ts";
import { handlePush, type PushHandlerDeps } from "./push-handler.ts";
import { readCappedBody } from "./read-capped-body.ts";

/**
 * `POST /webhooks/repo-push`, mounted before ACE's auto-registered webhook route (which this
 * one shadows: ACE would answer 204 whatever the body held). In order:
 *   1. body capped at 256 KB (Bitbucket's own limit) → 413, never buffered whole;
 *   2. the JWT verified (Hoist's checks, see verify-jwt.ts) → 401, nothing recorded;
 *   3. only then is the body's meaning read: not JSON / not a repo:push → 400, logged by delivery id;
 *   4. 204 at once; the deploy work runs after the answer (Bitbucket waits 10 s at most).
 * Logs carry the delivery id (X-Request-UUID) and ids, never the payload.
 */

export const MAX_WEBHOOK_BYTES = 256 * 1024;

export function webhookRouter(deps: PushHandlerDeps & { addon: Addon; logger: Logger; schedule: (task: () => Promise<void>) => void }): Router {
  const router = express.Router();
  router.post(ROUTES.repoPush, async (req: Request, res: Response) => {
    const deliveryId = headerOf(req, "x-request-uuid") ?? `missing-${randomUUID()}`;
    const log = deps.logger.child({ deliveryId, event: headerOf(req, "x-event-key"), attempt: headerOf(req, "x-attempt-number") });
    const error = (status: number, code: string, message: string) => {
      res.status(status).json({ error: { code, message } });
    };
    const read = await readCappedBody(req, MAX_WEBHOOK_BYTES);
    if (!read.ok) {
      if (!read.tooLarge) return log.warn({ err: read.error }, "webhook body could not be read");
      log.warn("webhook refused: body over 256 KB");
      res.setHeader("connection", "close");
      return error(413, "webhook.too_large", "Webhook bodies over 256 KB are refused.");
    }
    let json: unknown;
    let malformed = false;
    try {
      json = JSON.parse(read.body.toString("utf8"));
    } catch {
      malformed = true;
    }
    req.body = json && typeof json === "object" && !Array.isArray(json) ? json : {};
    let clientKey: string;
    try {
      clientKey = (await verifyJwt(deps.addon, req, "request")).clientKey;
    } catch (err) {
      if (!(err instanceof JwtRejected)) throw err;
      log.warn({ reason: err.message }, "webhook refused: bad JWT");
      return error(401, "auth.invalid", `Webhook refused: ${err.message}.`);
    }
    const wlog = log.child({ clientKey });
    if (malformed) {
      wlog.warn("webhook refused: body is not JSON");
      return error(400, "webhook.malformed", "The webhook body is not JSON.");
    }
    const parsed = readPushDelivery(json, headerOf(req, "x-event-key"));
    if (parsed.kind === "ignored") {
      wlog.info("webhook ignored: not a repo:push event");
      return void res.status(204).end();
    }
    if (parsed.kind === "malformed") {
      wlog.warn({ problem: parsed.problem }, "webhook refused: not a repo:push payload");
      return error(400, "webhook.malformed", `The repo:push payload is not valid (${parsed.problem}).`);
    }
    res.status(204).end();
    deps.schedule(() => handlePush(deps, { clientKey, deliveryId, payload: parsed.payload, log: wlog }).catch((err) => wlog.error({ err }, "push handling failed")));
  });
  return router;
}

export function headerOf(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  const one = Array.isArray(value) ? value[0] : value;
  return one ? one.slice(0, 200) : undefined;
}
