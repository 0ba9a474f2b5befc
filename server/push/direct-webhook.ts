import express, { type Request, type Response, type Router } from "express";
import type { Logger } from "../../core/log.ts";
import { SlugSchema } from "../../core/site.ts";
import { branchAllowList, type DirectSites } from "../owners/direct-sites.ts";
import { checkHubSignature } from "./hub-signature.ts";
import { handleAuthorisedPush, type PushPipelineDeps } from "./push-handler.ts";
import { headerOf, openDelivery, parseJson, readBody, verifiedPush } from "./read-delivery.ts";

/**
 * `POST /hooks/bitbucket/:workspace/:repo` — a plain Bitbucket repository webhook (direct mode,
 * docs/architecture.md "Owners"). In order (read-delivery.ts has the shared steps):
 *   1. body capped at 256 KB → 413;
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
    const delivery = openDelivery(req, res, deps.logger, { hookUuid: headerOf(req, "x-hook-uuid"), mode: "direct" });
    const body = await readBody(req, res, delivery);
    if (!body) return;
    const ws = SlugSchema.safeParse(req.params.workspace);
    const rp = SlugSchema.safeParse(req.params.repo);
    const site = ws.success && rp.success ? deps.direct.find({ workspace: ws.data, repo: rp.data }) : undefined;
    if (!site) {
      delivery.log.warn("webhook refused: no direct site is configured at this address");
      return delivery.refuse(404, "site.not_found", "No site is configured at this address.");
    }
    const verified = { ...delivery, log: delivery.log.child({ siteId: site.siteId }) };
    const { log, deliveryId } = verified;
    const signature = checkHubSignature(body, headerOf(req, "x-hub-signature"), site.webhookSecret);
    if (!signature.ok) {
      log.warn({ reason: signature.reason }, "webhook refused: bad signature");
      return delivery.refuse(401, "auth.invalid", `Webhook refused: ${signature.reason}. The secret must equal this site's webhookSecret in HOIST_DIRECT_SITES_FILE.`);
    }
    const payload = verifiedPush(req, res, verified, parseJson(body));
    if (!payload) return;
    if (payload.repository.full_name.toLowerCase() !== site.siteId) {
      log.warn("webhook refused: the payload names another repository than this hook's site");
      return delivery.refuse(400, "webhook.wrong_repository", `This hook deploys ${site.siteId} only; the push is for another repository. Point each repository's webhook at its own /hooks/bitbucket/<workspace>/<repo> URL.`);
    }
    res.status(202).end();
    deps.schedule(() =>
      handleAuthorisedPush(deps, { deliveryId, payload, log }, { owner: site.owner, credentials: site.credentials, allowsBranch: branchAllowList(site) }).catch((err) =>
        log.error({ err }, "push handling failed"),
      ),
    );
  });
  return router;
}
