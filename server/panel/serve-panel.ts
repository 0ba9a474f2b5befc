import { fileURLToPath } from "node:url";
import { join } from "node:path";
import express, { type Request, type Response, type Router } from "express";
import type { Config } from "../../core/config.ts";
import type { Logger } from "../../core/log.ts";
import { SlugSchema } from "../../core/site.ts";
import { requireJwt, type Addon } from "../addon/ace.ts";
import { connectHosts } from "../addon/connect-hosts.ts";
import { ROUTES } from "../addon/descriptor.ts";
import type { Installations } from "../addon/installations.ts";
import { mintSessionToken } from "../addon/session-token.ts";
import type { VerifiedJwt } from "../addon/verify-jwt.ts";
import { injectPanelTags, PanelHtml, escapeAttribute } from "./panel-html.ts";

/**
 * The panel's iframe pages — `/panel` (repository overview web panel) and `/page` (repository
 * page) — authenticated with the Bitbucket-signed iframe JWT (qsh over the URL, so the
 * repository named in the query is Bitbucket's word), answered with the built panel and a
 * session token scoped to that repository. `/assets/*` are the panel's content-hashed files.
 */

export const DEFAULT_WEB_DIR = fileURLToPath(new URL("../../dist/web", import.meta.url));
const PAGE_MODULE_KEY = "hoist-deploys-page";
const SESSION_SECONDS = 15 * 60;

export function panelRouter(deps: { addon: Addon; config: Config; installations: Installations; logger: Logger; webDir?: string }): Router {
  const router = express.Router();
  const html = new PanelHtml(deps.webDir ?? DEFAULT_WEB_DIR);
  const headers = panelSecurityHeaders(deps.config);
  router.use([ROUTES.panel, ROUTES.page, "/assets"], (_req, res, next) => {
    res.set(headers);
    next();
  });
  router.use("/assets", express.static(join(html.webDir, "assets"), { immutable: true, maxAge: "365d", index: false, fallthrough: false }));
  const reject = (res: Response, message: string) => void res.status(401).type("text/plain").send(`Hoist could not check this page's signature: ${message}. Reload the page.`);
  for (const [path, view] of [[ROUTES.panel, "panel"], [ROUTES.page, "page"]] as const) {
    router.get(path, requireJwt(deps.addon, "request", reject), (req, res, next) => {
      renderPanel(deps, html, req, res, view).catch(next);
    });
  }
  return router;
}

async function renderPanel(deps: { addon: Addon; config: Config; installations: Installations; logger: Logger }, html: PanelHtml, req: Request, res: Response, view: "panel" | "page"): Promise<void> {
  const verified = res.locals.jwt as VerifiedJwt;
  res.setHeader("cache-control", "no-store");
  const inst = await deps.installations.getActive(verified.clientKey);
  if (!inst) return message(res, 403, "Hoist is still being set up in this workspace (or was uninstalled). Reload in a moment.");
  const [workspace, repo] = String(req.query.repoPath ?? "").split("/");
  const ws = SlugSchema.safeParse(workspace);
  const rp = SlugSchema.safeParse(repo);
  if (!ws.success || !rp.success) return message(res, 400, "Bitbucket did not say which repository this panel is for (the add-on needs the repository scope).");
  // The session token is scoped to one repository of the installation's OWN workspace (see push/push-handler.ts, inOwnWorkspace).
  if (!inst.workspaceSlug || ws.data !== inst.workspaceSlug.toLowerCase()) {
    return message(res, 403, "This panel belongs to another workspace's installation of Hoist.");
  }
  const template = await html.template();
  if (!template) return message(res, 503, "The deploy panel has not been built on this server. Run `npm run build:web` (or `npm run build`) and reload.");
  const mainBranch = typeof req.query.mainBranch === "string" && req.query.mainBranch ? req.query.mainBranch.slice(0, 200) : undefined;
  const repoUuid = typeof req.query.repoUuid === "string" ? req.query.repoUuid.slice(0, 100) : undefined;
  const token = mintSessionToken({
    addonKey: deps.addon.key,
    clientKey: inst.clientKey,
    sharedSecret: inst.sharedSecret,
    sub: typeof verified.claims.sub === "string" ? verified.claims.sub : inst.clientKey,
    scope: { workspace: ws.data, repo: rp.data, repoUuid, mainBranch },
    ttlSeconds: SESSION_SECONDS,
  });
  const context = {
    workspace: ws.data,
    repo: rp.data,
    view,
    mainBranch,
    allDeploysUrl: `${inst.baseUrl}/${ws.data}/${rp.data}/addon/${encodeURIComponent(deps.addon.key)}/${PAGE_MODULE_KEY}`,
    hostBaseUrl: inst.baseUrl,
  };
  res.type("html").send(injectPanelTags(template, token, context));
}

/**
 * Every panel response: only Bitbucket may frame it (the sandbox's loopback origins locally),
 * nothing is sniffed into another type, and no page address — its query holds Bitbucket's JWT —
 * leaves in a Referer.
 */
export function panelSecurityHeaders(config: Pick<Config, "production">): Record<string, string> {
  const { baseUrlHosts, protocols } = connectHosts(config);
  const origins = baseUrlHosts.flatMap((host) => protocols.map((p) => (config.production ? `${p}//${host}` : `${p}//${host}:*`)));
  return {
    "content-security-policy": `frame-ancestors ${origins.join(" ")}; base-uri 'none'; object-src 'none'`,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  };
}

function message(res: Response, status: number, text: string): void {
  res.status(status).type("html").send(`<!doctype html><meta charset="utf-8"><title>Hoist</title><p style="font:14px system-ui;margin:16px">${escapeAttribute(text)}</p>`);
}
