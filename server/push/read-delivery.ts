import { randomUUID } from "node:crypto";
import type { Request, Response } from "express";
import type { Logger } from "../../core/log.ts";
import { readPushDelivery, type PushPayload } from "./parse-push.ts";
import { readCappedBody } from "./read-capped-body.ts";

/**
 * The steps every webhook route shares (Connect's and direct mode's; Forge's later), around the
 * authentication each route does its own way:
 *   openDelivery   the delivery id (X-Request-UUID) and a logger carrying it; logs hold ids, never the payload
 *   readBody       at most 256 KB (Bitbucket's own limit) → else 413, never buffered whole
 *   …the route authenticates: nothing of the body's meaning is read before this passes…
 *   verifiedPush   not JSON → 400; another event → 204 (ignored); not a repo:push payload → 400
 */

export const MAX_WEBHOOK_BYTES = 256 * 1024;

export type Delivery = {
  deliveryId: string;
  log: Logger;
  /** Answers with `{ error: { code, message } }`. */
  refuse(status: number, code: string, message: string): void;
};

/** A body that did not parse as JSON (kept apart from any JSON value, `null` included). */
export const NOT_JSON = Symbol("not JSON");

export function openDelivery(req: Request, res: Response, logger: Logger, fields: Record<string, unknown> = {}): Delivery {
  const deliveryId = headerOf(req, "x-request-uuid") ?? `missing-${randomUUID()}`;
  const log = logger.child({ deliveryId, event: headerOf(req, "x-event-key"), attempt: headerOf(req, "x-attempt-number"), ...fields });
  return { deliveryId, log, refuse: (status, code, message) => void res.status(status).json({ error: { code, message } }) };
}

/** The raw body, or undefined once the request has been answered (413) or broke off. */
export async function readBody(req: Request, res: Response, delivery: Delivery): Promise<Buffer | undefined> {
  const read = await readCappedBody(req, MAX_WEBHOOK_BYTES);
  if (read.ok) return read.body;
  if (!read.tooLarge) {
    delivery.log.warn({ err: read.error }, "webhook body could not be read");
    return undefined;
  }
  delivery.log.warn("webhook refused: body over 256 KB");
  res.setHeader("connection", "close");
  delivery.refuse(413, "webhook.too_large", "Webhook bodies over 256 KB are refused.");
  return undefined;
}

export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return NOT_JSON;
  }
}

/** After authentication: the repo:push payload to handle, or undefined once the request has been answered. */
export function verifiedPush(req: Request, res: Response, delivery: Delivery, json: unknown): PushPayload | undefined {
  const { log } = delivery;
  if (json === NOT_JSON) {
    log.warn("webhook refused: body is not JSON");
    delivery.refuse(400, "webhook.malformed", "The webhook body is not JSON.");
    return undefined;
  }
  const parsed = readPushDelivery(json, headerOf(req, "x-event-key"));
  if (parsed.kind === "ignored") {
    log.info("webhook ignored: not a repo:push event");
    res.status(204).end();
    return undefined;
  }
  if (parsed.kind === "malformed") {
    log.warn({ problem: parsed.problem }, "webhook refused: not a repo:push payload");
    delivery.refuse(400, "webhook.malformed", `The repo:push payload is not valid (${parsed.problem}).`);
    return undefined;
  }
  return parsed.payload;
}

export function headerOf(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  const one = Array.isArray(value) ? value[0] : value;
  return one ? one.slice(0, 200) : undefined;
}
