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
 *   2. X-Hub-Signature (HMAC-SHA256 of the raw body with the secret of the site the route names)
 *      → else 401; an address with no site answers the same 401, so sites cannot be enumerated;
 *      nothing is parsed, logged from the body, or recorded before this passes;
 *   3. not JSON → 400; not repo:push → 204 (ignored); not a repo:push payload → 400;
 *   4. the body's repository must be the route's site → else 400, nothing recorded
 *      (one secret reused across repositories must not let repo A deploy site B);
 *   5. 202 at once; then the same pipeline as Connect pushes, with the site's access token.
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
    const site = ws.success && rp.success ? await deps.direct.find({ workspace: ws.data, repo: rp.data }) : undefined;
    // An address with no site answers exactly as a wrong signature: nobody can list the configured sites.
    const signature = checkHubSignature(body, headerOf(req, "x-hub-signature"), site?.webhookSecret);
    if (!signature.ok || !site) {
      delivery.log.warn({ reason: signature.ok ? "no site" : signature.reason, configured: Boolean(site) }, "webhook refused: bad signature or no site at this address");
      return delivery.refuse(401, "auth.invalid", `Webhook refused: ${signature.ok ? "" : signature.reason}. The secret must equal the webhookSecret of this repository's entry in HOIST_DIRECT_SITES_FILE.`);
    }
    const verified = { ...delivery, log: delivery.log.child({ siteId: site.siteId }) };
    const { log, deliveryId } = verified;
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
