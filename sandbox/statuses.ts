import express, { type Request, type Response, type Router } from "express";
import { z } from "zod";
import { apiError, type BearerDeps, checkBearer, POST_STATUS, READ, type RepoNeed } from "./bearer-auth.ts";
import { buildStatusJson, repositoryJson } from "./bitbucket-json.ts";
import { git, resolveCommit } from "./git.ts";
import { paginate } from "./pagination.ts";
import { gitDirOf } from "./repos.ts";
import type { BuildStatus, Repo, SandboxState } from "./state.ts";
import { param } from "./route-params.ts";

export interface StatusDeps extends BearerDeps {
  origin: string;
}

const statusBody = z.object({
  key: z.string().min(1).max(255),
  state: z.enum(["INPROGRESS", "SUCCESSFUL", "FAILED", "STOPPED"]),
  url: z.url().max(2048),
  name: z.string().max(255).optional(),
  description: z.string().max(1024).optional(),
  refname: z.string().max(255).nullish(),
});

const COMMIT_PATH = "/2.0/repositories/:ws/:repo/commit/:commit";

/** Bitbucket's repository, branch, file and commit build-status API (bearer token required). */
export function statusesRouter(deps: StatusDeps): Router {
  const router = express.Router();
  router.get("/2.0/repositories/:ws/:repo", (req, res) => {
    const repo = authorisedRepo(deps, req, res);
    if (repo) res.json(repositoryJson(deps.origin, repo, deps.state.workspace(repo.workspace)));
  });
  // Raw file contents at a commit (Bitbucket's `src` endpoint, files only: add-ons read config files with it).
  router.get(/^\/2\.0\/repositories\/([^/]+)\/([^/]+)\/src\/([0-9a-f]{7,40})\/([A-Za-z0-9._-]{1,255})$/, async (req, res) => {
    const [ws, slug, commit, file] = [param(req, 0), param(req, 1), param(req, 2), param(req, 3)];
    if (!checkBearer(deps, req, res, ws, slug)) return;
    const repo = deps.state.repo(ws, slug);
    const gitDir = repo && gitDirOf(deps.state.dataDir, repo);
    const text = gitDir && (await git(gitDir, ["show", `${commit}:${file}`]).catch(() => undefined));
    if (text === undefined || text === "") return apiError(res, 404, `No file ${file} at ${commit} in ${ws}/${slug}`);
    res.type("text/plain").send(text);
  });
  // A branch and its tip commit (Bitbucket's refs API; names with "/" come percent-encoded).
  router.get("/2.0/repositories/:ws/:repo/refs/branches/:name", async (req, res) => {
    const repo = authorisedRepo(deps, req, res);
    if (!repo) return;
    const name = param(req, "name");
    const hash = name.startsWith("-") ? undefined : await resolveCommit(gitDirOf(deps.state.dataDir, repo), `refs/heads/${name}`);
    if (!hash) return apiError(res, 404, `Branch "${name}" not found in ${repo.workspace}/${repo.slug}`);
    res.json({ type: "branch", name, target: { type: "commit", hash }, links: { html: { href: `${deps.origin}/${repo.workspace}/${repo.slug}/branch/${encodeURIComponent(name)}` } } });
  });
  router.post(`${COMMIT_PATH}/statuses/build`, express.json({ limit: "256kb" }), async (req, res) => {
    const found = await authorisedCommit(deps, req, res, POST_STATUS);
    if (!found) return;
    const body = statusBody.safeParse(req.body);
    if (!body.success) return apiError(res, 400, z.prettifyError(body.error));
    const { status, created } = putStatus(deps.state, found.repo, found.commit, body.data);
    res.status(created ? 201 : 200).json(buildStatusJson(deps.origin, found.repo, status));
  });
  router.get(`${COMMIT_PATH}/statuses/build/:key`, async (req, res) => {
    const found = await authorisedCommit(deps, req, res);
    const status = found && listStatuses(deps.state, found.repo, found.commit).find((s) => s.key === param(req, "key"));
    if (found && !status) return apiError(res, 404, `No build status "${param(req, "key")}" on this commit`);
    if (found && status) res.json(buildStatusJson(deps.origin, found.repo, status));
  });
  router.get(`${COMMIT_PATH}/statuses`, async (req, res) => {
    const found = await authorisedCommit(deps, req, res);
    if (!found) return;
    const all = listStatuses(deps.state, found.repo, found.commit).map((s) => buildStatusJson(deps.origin, found.repo, s));
    res.json(paginate(req, all, deps.origin));
  });
  return router;
}

function authorisedRepo(deps: StatusDeps, req: Request, res: Response, need: RepoNeed = READ): Repo | undefined {
  const [ws, slug] = [param(req, "ws"), param(req, "repo")];
  if (!checkBearer(deps, req, res, ws, slug, need)) return undefined;
  const repo = deps.state.repo(ws, slug);
  if (!repo) apiError(res, 404, `Repository ${ws}/${slug} not found`);
  return repo;
}

async function authorisedCommit(deps: StatusDeps, req: Request, res: Response, need: RepoNeed = READ) {
  const repo = authorisedRepo(deps, req, res, need);
  if (!repo) return undefined;
  const commit = await resolveCommit(gitDirOf(deps.state.dataDir, repo), param(req, "commit"));
  if (!commit) return apiError(res, 404, `Commit ${param(req, "commit")} not found`);
  return { repo, commit };
}

/** Same key on the same commit overwrites, keeping the creation time. */
export function putStatus(state: SandboxState, repo: Repo, commit: string, body: z.infer<typeof statusBody>) {
  const id = `${repo.workspace}/${repo.slug}/${commit}`;
  const byKey = state.data.statuses[id] ?? {};
  state.data.statuses[id] = byKey;
  const now = new Date().toISOString();
  const previous = byKey[body.key];
  const status: BuildStatus = {
    key: body.key,
    state: body.state,
    url: body.url,
    name: body.name ?? body.key,
    description: body.description ?? "",
    refname: body.refname ?? null,
    commit,
    createdOn: previous?.createdOn ?? now,
    updatedOn: now,
  };
  byKey[body.key] = status;
  state.save();
  return { status, created: !previous };
}

/** Newest update first. */
export function listStatuses(state: SandboxState, repo: Repo, commit: string): BuildStatus[] {
  const byKey = state.data.statuses[`${repo.workspace}/${repo.slug}/${commit}`] ?? {};
  return Object.values(byKey).sort((a, b) => b.updatedOn.localeCompare(a.updatedOn));
}
