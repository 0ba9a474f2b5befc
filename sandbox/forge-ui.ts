import { readFile } from "node:fs/promises";
import { resolve, sep } from "node:path";
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import type { Logger } from "pino";
import { z } from "zod";
import { SandboxError } from "./errors.ts";
import type { SandboxForge } from "./forge.ts";
import { installationUuid } from "./forge-installs.ts";
import { BRIDGE_PATH, BRIDGE_SCRIPT, type ForgeFrameView, forgeFrame, forgeFrameView, forgeParentScript, injectBridge } from "./forge-ui-view.ts";
import { html } from "./html.ts";
import { renderPage } from "./repo-page-view.ts";
import { param } from "./route-params.ts";
import type { Repo, SandboxState, User } from "./state.ts";
import { findUser } from "./users.ts";

export interface ForgeUiDeps {
  state: SandboxState;
  origin: string;
  forge: SandboxForge;
  log: Logger;
}

const invokeBody = z.object({
  workspace: z.string(),
  repo: z.string(),
  moduleKey: z.string().optional(),
  user: z.string().optional(),
  request: z.object({
    path: z.string(),
    method: z.string().default("GET"),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.unknown().optional(),
    invokeType: z.string().optional(),
  }),
});

/**
 * What Forge serves around an app: the JWKS its FITs verify against, Custom UI resources (the
 * bridge injected into index.html), the full-page modules at `/<ws>/<repo>/forge/<moduleKey>`
 * (`?as=<nickname>` views as another user) and `POST /forge/invoke`, which the pages' bridge
 * calls to invoke the remote as the viewing user.
 */
export function forgeUiRouter(deps: ForgeUiDeps): Router {
  const router = express.Router();
  router.get("/forge/.well-known/jwks.json", (_req, res, next) => {
    deps.forge.keys.jwks().then((jwks) => res.set("cache-control", "no-store").json(jwks), next);
  });

  router.get(BRIDGE_PATH, (_req, res) => void res.type("application/javascript").set("cache-control", "no-store").send(BRIDGE_SCRIPT));

  router.post("/forge/invoke", express.json({ limit: "1mb" }), async (req, res) => {
    const parsed = invokeBody.safeParse(req.body);
    if (!parsed.success) return void res.status(400).json({ success: false, error: { code: "request.invalid", message: z.prettifyError(parsed.error) } });
    const { request, ...who } = parsed.data;
    try {
      const payload = await deps.forge.invoke({ ...who, ...request });
      res.json({ success: true, payload });
    } catch (err) {
      const status = err instanceof SandboxError ? err.status : 502;
      const code = err instanceof SandboxError ? err.code : "forge.remote_unreachable";
      deps.log.warn({ err: (err as Error).message, path: request.path }, "Forge invocation failed");
      res.status(status).json({ success: false, error: { code, message: (err as Error).message } });
    }
  });

  router.get(/^\/forge-resources\/([0-9a-f-]{36})\/([^/]+)\/(.*)$/, (req, res, next) => {
    const [instUuid, resourceKey, rest] = [param(req, 0), param(req, 1), param(req, 2)];
    const inst = Object.values(deps.state.data.forgeInstallations ?? {}).find((i) => installationUuid(i) === instUuid);
    const dir = inst?.app.uiModules.find((m) => m.resourceKey === resourceKey)?.resourceDir;
    if (!dir) return next();
    const file = rest === "" || rest.endsWith("/") ? `${rest}index.html` : rest;
    if (!/(^|\/)index\.html$/.test(file)) return res.sendFile(file, { root: dir, dotfiles: "deny" }, (err) => err && next());
    const path = resolve(dir, file);
    if (!path.startsWith(dir + sep)) return next();
    readFile(path, "utf8").then(
      (text) => res.type("html").set("cache-control", "no-store").send(injectBridge(text)),
      () => next(),
    );
  });

  router.get("/:ws/:repo/forge/:moduleKey", (req: Request, res: Response, next: NextFunction) => {
    const repo = deps.state.repo(param(req, "ws"), param(req, "repo"));
    const ui = repo && deps.forge.uiOf(repo.workspace);
    const module = ui?.modules.find((m) => m.key === param(req, "moduleKey"));
    if (!repo || !ui || !module) return next();
    const user = viewerOf(deps.state, req, res);
    if (!user) return;
    const view = forgeFrameView(deps.origin, ui.inst, module, deps.state.workspace(repo.workspace), repo, user, true);
    const body = html`<header><a href="${repoHref(repo, user, deps.state)}">${repo.workspace}/${repo.slug}</a> · ${module.title}
 <small>(viewing as ${user.nickname})</small></header>
<main><section>${forgeFrame(view)}</section></main>${forgeParentScript()}`;
    res.type("html").send(renderPage(`${module.title} · ${repo.workspace}/${repo.slug}`, body));
  });
  return router;
}

/** The user `?as=<nickname>` names (default: the default user); answers 400 itself for an unknown one. */
export function viewerOf(state: SandboxState, req: Request, res: Response): User | undefined {
  const as = req.query.as;
  if (as === undefined) return state.data.user;
  const user = typeof as === "string" ? findUser(state, as) : undefined;
  if (!user) res.status(400).type("text/plain").send(`no sandbox user "${String(as)}": create it first\n`);
  return user;
}

function asQuery(state: SandboxState, user: User): string {
  return user.nickname === state.data.user.nickname ? "" : `?as=${encodeURIComponent(user.nickname)}`;
}

function repoHref(repo: Repo, user: User, state: SandboxState): string {
  return `/${repo.workspace}/${repo.slug}${asQuery(state, user)}`;
}

/** What the repository page shows of the workspace's Forge app: the overview card(s) and links to the full pages. */
export function forgeOverview(deps: Omit<ForgeUiDeps, "log">, repo: Repo, user: User): { cards: ForgeFrameView[]; links: { title: string; href: string }[] } {
  const ui = deps.forge.uiOf(repo.workspace);
  if (!ui) return { cards: [], links: [] };
  const ws = deps.state.workspace(repo.workspace);
  const cards = ui.modules.filter((m) => m.type === "bitbucket:repoCodeOverviewCard").map((m) => forgeFrameView(deps.origin, ui.inst, m, ws, repo, user, false));
  const links = ui.modules
    .filter((m) => m.type !== "bitbucket:repoCodeOverviewCard")
    .map((m) => ({ title: m.title, href: `/${repo.workspace}/${repo.slug}/forge/${encodeURIComponent(m.key)}${asQuery(deps.state, user)}` }));
  return { cards, links };
}
