import express, { type Router } from "express";
import { injectPanelTags, type PanelHtml } from "../panel/panel-html.ts";

/**
 * The dashboard page: the same built panel (web/) at HOIST_BASE_URL/dashboard, opened top-level.
 * Its bootstrap reads `view: "dashboard"` and signs in through /dashboard/api/me; client-side
 * paths (/dashboard/sites/<ws>/<repo>) get the same page. Nobody may frame it, and its address
 * leaves in no Referer.
 */
export function dashboardPage(deps: { html: PanelHtml }): Router {
  const router = express.Router();
  router.get(["/dashboard", "/dashboard/sites/:workspace/:repo", "/dashboard/add"], async (_req, res, next) => {
    try {
      const template = await deps.html.template();
      res.set({ "cache-control": "no-store", "content-security-policy": "frame-ancestors 'none'; base-uri 'none'; object-src 'none'", "x-content-type-options": "nosniff", "referrer-policy": "same-origin", "x-frame-options": "DENY" });
      if (!template) return void res.status(503).type("text/plain").send("The dashboard has not been built on this server. Run `npm run build:web` (or `npm run build`) and reload.");
      res.type("html").send(injectPanelTags(template, "", { view: "dashboard" }));
    } catch (err) {
      next(err);
    }
  });
  return router;
}
