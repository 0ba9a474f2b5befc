import express, { type NextFunction, type Request, type Response, type Router } from "express";
import type { Logger } from "pino";
import { repositoryJson, userJson, workspaceJson } from "./bitbucket-json.ts";
import type { Faults } from "./faults.ts";
import type { SandboxForge } from "./forge.ts";
import { forgeOverview, viewerOf } from "./forge-ui.ts";
import { type CommitInfo, logCommits } from "./git.ts";
import { html } from "./html.ts";
import { iframeUrl } from "./iframe-url.ts";
import { type PanelView, panelFrame, renderPage, repoOverview } from "./repo-page-view.ts";
import { gitDirOf } from "./repos.ts";
import type { Installation, Repo, SandboxState, User } from "./state.ts";
import { listStatuses } from "./statuses.ts";
import { param } from "./route-params.ts";

const PANEL_LOCATION = "org.bitbucket.repository.overview.informationPanel";
const RECENT_COMMITS = 20;

export interface RepoPageDeps {
  state: SandboxState;
  origin: string;
  faults: () => Faults;
  log: Logger;
  /** The workspace's Forge app, when the sandbox plays Forge: its overview card and pages. */
  forge?: SandboxForge;
}

/**
 * The repository page a person opens in local mode: recent commits with their
 * build statuses, every installed add-on's web panels in iframes, and links to
 * its repository pages (`/<ws>/<repo>/addon/<addonKey>/<moduleKey>`); with a Forge app installed
 * in the workspace, its code overview card in an iframe and links to its pages (forge-ui.ts).
 * `?as=<nickname>` views the Forge modules as another sandbox user.
 */
export function repoPageRouter(deps: RepoPageDeps): Router {
  const router = express.Router();
  router.get("/:ws/:repo", (req, res, next) => {
    const repo = deps.state.repo(param(req, "ws"), param(req, "repo"));
    if (!repo) return next();
    const viewer = viewerOf(deps.state, req, res);
    if (!viewer) return;
    overviewPage(deps, repo, viewer).then((page) => res.type("html").send(page), next);
  });
  router.get("/:ws/:repo/addon/:addonKey/:moduleKey", (req: Request, res: Response, next: NextFunction) => {
    const repo = deps.state.repo(param(req, "ws"), param(req, "repo"));
    const inst = repo && deps.state.installationsOf(repo.workspace).find((i) => i.addonKey === param(req, "addonKey"));
    const module = inst?.descriptor.modules.repoPages?.find((m) => m.key === param(req, "moduleKey"));
    if (!repo || !inst || !module) return next();
    const panel = panelView(deps, repo, inst, module);
    const body = html`<header><a href="/${repo.workspace}/${repo.slug}">${repo.workspace}/${repo.slug}</a></header>
<main><section>${panelFrame(panel)}</section></main>`;
    res.type("html").send(renderPage(panel.title, body));
  });
  return router;
}

async function overviewPage(deps: RepoPageDeps, repo: Repo, viewer: User): Promise<string> {
  const installations = deps.state.installationsOf(repo.workspace);
  const panels = installations.flatMap((inst) =>
    (inst.descriptor.modules.webPanels ?? [])
      .filter((m) => m.location === PANEL_LOCATION)
      .sort((a, b) => (a.weight ?? 100) - (b.weight ?? 100))
      .map((m) => panelView(deps, repo, inst, m)),
  );
  const repoPages = installations.flatMap((inst) =>
    (inst.descriptor.modules.repoPages ?? []).map((m) => ({
      title: m.name.value,
      href: `/${repo.workspace}/${repo.slug}/addon/${encodeURIComponent(inst.addonKey)}/${encodeURIComponent(m.key)}`,
    })),
  );
  const forge = deps.forge ? forgeOverview({ state: deps.state, origin: deps.origin, forge: deps.forge }, repo, viewer) : { cards: [], links: [] };
  const commits = (await recentCommits(deps, repo)).map((commit) => ({
    commit,
    statuses: listStatuses(deps.state, repo, commit.hash),
  }));
  const fullName = `${repo.workspace}/${repo.slug}`;
  const cloneUrl = `${deps.origin}/${fullName}.git`;
  return renderPage(fullName, repoOverview({ fullName, cloneUrl, mainbranch: repo.mainbranch, repoPages: [...repoPages, ...forge.links], panels, forgeCards: forge.cards, commits }));
}

async function recentCommits(deps: RepoPageDeps, repo: Repo): Promise<CommitInfo[]> {
  try {
    return await logCommits(gitDirOf(deps.state.dataDir, repo), ["--all"], RECENT_COMMITS);
  } catch (err) {
    deps.log.debug({ err: (err as Error).message }, "no commits to list");
    return [];
  }
}

function panelView(deps: RepoPageDeps, repo: Repo, inst: Installation, module: { key: string; url: string; name: { value: string } }): PanelView {
  const ws = deps.state.workspace(repo.workspace);
  const user = deps.state.data.user;
  const context = {
    repository: repositoryJson(deps.origin, repo, ws),
    workspace: workspaceJson(deps.origin, ws),
    user: userJson(deps.origin, user),
    principal: userJson(deps.origin, user),
  };
  const src = iframeUrl({
    installation: inst,
    moduleUrl: module.url,
    context,
    origin: deps.origin,
    userAccountId: user.accountId,
    skewSeconds: deps.faults().clockSkewSeconds,
  });
  return { addonKey: inst.addonKey, moduleKey: module.key, title: module.name.value, src };
}
