import { randomUUID } from "node:crypto";
import express, { type Request, type Response, type Router } from "express";
import type { Logger } from "../../lambda/core/log.ts";
import { SlugSchema } from "../../lambda/core/site.ts";
import { readPushDelivery } from "../push/parse-push.ts";
import { handleAuthorisedPush, type PushPipelineDeps } from "../push/push-handler.ts";
import { readCappedBody } from "../push/read-capped-body.ts";
import { headerOf, MAX_WEBHOOK_BYTES } from "../push/webhook.ts";
import { branchAllowList, type DirectSites } from "./direct-sites.ts";
import { checkHubSignature } from "./hub-signature.ts";

/**
 * `POST /hooks/bitbucket/:workspace/:repo` — a plain Bitbucket repository webhook (direct mode,
 * DESIGN.md §6). In order:
 *   1. body capped at 256 KB → 413, never buffered whole;
 *   2. the route names a configured site → else 404, saying nothing about other sites;
 *   3. X-Hub-Signature (HMAC-SHA256 of the raw body with the site's secret) → else 401;
 *      nothing is parsed, logged from the body, or recorded before this passes;
 *   4. not JSON → 400; not repo:push → 204 (ignored); not a repo:push payload → 400;
 *   5. the body's repository must be the route's site → else 400, nothing recorded
 *      (one secret reused across repositories must not let repo A deploy site B);
 *   6. 202 at once; then the same pipeline as Connect pushes, with the site's access token.
 */
export const DIRECT_HOOK_PATH = "/hooks/bitbucket/:workspace/:repo";

export function directWebhookRouter(deps: PushPipelineDeps & { direct: DirectSites; logger: Logger; schedule: (task: () => Promise<void>) => void }): Router {
  const router = express.Router();
  router.post(DIRECT_HOOK_PATH, async (req: Request, res: Response) => {
    const deliveryId = headerOf(req, "x-request-uuid") ?? `missing-${randomUUID()}`;
    const log = deps.logger.child({ deliveryId, hookUuid: headerOf(req, "x-hook-uuid"), event: headerOf(req, "x-event-key"), attempt: headerOf(req, "x-attempt-number"), mode: "direct" });
    const error = (status: number, code: string, message: string) => void res.status(status).json({ error: { code, message } });

    const read = await readCappedBody(req, MAX_WEBHOOK_BYTES);
    if (!read.ok) {
      if (!read.tooLarge) return log.warn({ err: read.error }, "webhook body could not be read");
      log.warn("webhook refused: body over 256 KB");
      res.setHeader("connection", "close");
      return error(413, "webhook.too_large", "Webhook bodies over 256 KB are refused.");
    }
    const ws = SlugSchema.safeParse(req.params.workspace);
    const rp = SlugSchema.safeParse(req.params.repo);
    const site = ws.success && rp.success ? deps.direct.find({ workspace: ws.data, repo: rp.data }) : undefined;
    if (!site) {
      log.warn("webhook refused: no direct site is configured at this address");
      return error(404, "site.not_found", "No site is configured at this address.");
    }
    const slog = log.child({ siteId: site.siteId });
    const signature = checkHubSignature(read.body, headerOf(req, "x-hub-signature"), site.webhookSecret);
    if (!signature.ok) {
      slog.warn({ reason: signature.reason }, "webhook refused: bad signature");
      return error(401, "auth.invalid", `Webhook refused: ${signature.reason}. The secret must equal this site's webhookSecret in HOIST_DIRECT_SITES_FILE.`);
    }
    let json: unknown;
    try {
      json = JSON.parse(read.body.toString("utf8"));
    } catch {
      slog.warn("webhook refused: body is not JSON");
      return error(400, "webhook.malformed", "The webhook body is not JSON.");
    }
    const parsed = readPushDelivery(json, headerOf(req, "x-event-key"));
    if (parsed.kind === "ignored") {
      slog.info("webhook ignored: not a repo:push event");
      return void res.status(204).end();
    }
    if (parsed.kind === "malformed") {
      slog.warn({ problem: parsed.problem }, "webhook refused: not a repo:push payload");
      return error(400, "webhook.malformed", `The repo:push payload is not valid (${parsed.problem}).`);
    }
    if (parsed.payload.repository.full_name.toLowerCase() !== site.siteId) {
      slog.warn("webhook refused: the payload names another repository than this hook's site");
      return error(400, "webhook.wrong_repository", `This hook deploys ${site.siteId} only; the push is for another repository. Point each repository's webhook at its own /hooks/bitbucket/<workspace>/<repo> URL.`);
    }
    res.status(202).end();
    deps.schedule(() =>
      handleAuthorisedPush(deps, { deliveryId, payload: parsed.payload, log: slog }, { owner: site.owner, credentials: site.credentials, allowsBranch: branchAllowList(site) }).catch((err) =>
        slog.error({ err }, "push handling failed"),
      ),
    );
  });
  return router;
}
