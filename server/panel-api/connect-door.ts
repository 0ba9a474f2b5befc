import type { Request, Response } from "express";
import { SlugSchema, siteId as siteIdOf } from "../../core/site.ts";
import type { Sites } from "../../core/sites.ts";
import { requireJwt, type Addon } from "../addon/ace.ts";
import type { Installations } from "../addon/installations.ts";
import { scopeOf } from "../addon/session-token.ts";
import type { VerifiedJwt } from "../addon/verify-jwt.ts";
import { ApiFailure, sendApiError } from "./api-error.ts";
import type { PanelDoor, Scoped } from "./routes.ts";

/**
 * The panel API behind the Connect iframe, at `/api`. Every call: ACE session token (Hoist's
 * checks, then checkValidToken) → the installation is installed and verified → the URL's
 * repository is the one the token was minted for → every stage of the site is owned by this
 * installation. So a token of installation A never reads, deploys or rolls back a site of
 * installation B: it names another repository (403) or finds a site it does not own (404).
 */
export function connectDoor(deps: { addon: Addon; installations: Installations; sites: Sites }): PanelDoor {
  return {
    base: "/api",
    authenticate: requireJwt(deps.addon, "session", (res, message) => sendApiError(res, new ApiFailure(401, "auth.invalid", `${message}.`))),
    scope: async (req: Request, res: Response): Promise<Scoped> => {
      const verified = res.locals.jwt as VerifiedJwt;
      const inst = await deps.installations.getActive(verified.clientKey);
      if (!inst) throw new ApiFailure(401, "auth.inactive", "Hoist is not installed in this workspace any more. Reinstall it to see deploys.");
      const tokenScope = scopeOf(verified.claims);
      const ws = SlugSchema.safeParse(req.params.workspace);
      const rp = SlugSchema.safeParse(req.params.repo);
      if (!ws.success || !rp.success) throw new ApiFailure(400, "request.invalid", "The site is named by a workspace and repository slug.");
      if (!tokenScope || tokenScope.workspace.toLowerCase() !== ws.data || tokenScope.repo.toLowerCase() !== rp.data) {
        throw new ApiFailure(403, "auth.wrong_repository", "This panel was opened for another repository.");
      }
      const ref = { workspace: ws.data, repo: rp.data };
      const siteId = siteIdOf(ref);
      const stages = await deps.sites.listStages(siteId);
      if (stages.some((st) => st.owner !== undefined && st.owner !== inst.clientKey)) {
        throw new ApiFailure(404, "site.not_found", "No such site for this installation.");
      }
      return { ref, siteId, stages, owner: inst.clientKey, credentials: inst, commitBaseUrl: inst.baseUrl, mayChange: true, actor: inst.clientKey };
    },
  };
}
