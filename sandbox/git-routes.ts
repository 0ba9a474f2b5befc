import express, { type Router } from "express";
import type { Logger } from "pino";
import { listRefs } from "./git.ts";
import { runHttpBackend } from "./git-http.ts";
import { buildPushPayload } from "./push-events.ts";
import { gitDirOf, reposRoot } from "./repos.ts";
import type { Repo, SandboxState } from "./state.ts";
import type { WebhookDispatcher } from "./webhooks.ts";
import { param } from "./route-params.ts";

export interface GitRouteDeps {
  state: SandboxState;
  webhooks: WebhookDispatcher;
  /** Forge push events (one per changed ref), for workspaces with a Forge installation. */
  forge?: { onPush(repo: Repo, payload: NonNullable<Awaited<ReturnType<typeof buildPushPayload>>>): void };
  origin: string;
  log: Logger;
}

/**
 * Smart HTTP at `/<workspace>/<repo>.git/...`, anonymous for clone and push.
 * A receive-pack is bracketed by two ref snapshots; their difference becomes one
 * `repo:push` event, sent after git has answered so a push never waits on add-ons.
 */
export function gitRouter(deps: GitRouteDeps): Router {
  const router = express.Router();
  const locks = new Map<string, Promise<unknown>>();
  router.all(/^\/([^/]+)\/([^/]+)\.git(\/.*)$/, async (req, res) => {
    const [ws, slug, rest] = [param(req, 0), param(req, 1), param(req, 2)];
    const repo = deps.state.repo(ws, slug);
    if (!repo) return void res.status(404).type("text/plain").send(`Repository ${ws}/${slug} not found\n`);
    const cgi = { projectRoot: reposRoot(deps.state.dataDir), pathInfo: `/${ws}/${slug}.git${rest}`, req, res, log: deps.log };
    if (!(req.method === "POST" && rest === "/git-receive-pack")) return void (await runHttpBackend(cgi));
    // Pushes to one repository run one at a time so each ref diff belongs to one push.
    const key = `${ws}/${slug}`;
    const run = (locks.get(key) ?? Promise.resolve()).then(() => receivePack(deps, repo, () => runHttpBackend(cgi)));
    locks.set(key, run.catch(() => {}));
    deps.webhooks.track(run);
    await run.catch((err: Error) => deps.log.error({ err: err.message, repo: key }, "receive-pack failed"));
  });
  return router;
}

async function receivePack(deps: GitRouteDeps, repo: Repo, backend: () => Promise<unknown>): Promise<void> {
  const gitDir = gitDirOf(deps.state.dataDir, repo);
  const before = await listRefs(gitDir);
  await backend();
  const after = await listRefs(gitDir);
  const ctx = {
    origin: deps.origin,
    gitDir,
    repo,
    workspace: deps.state.workspace(repo.workspace),
    actor: deps.state.data.user,
  };
  const payload = await buildPushPayload(ctx, before, after);
  if (!payload) return;
  deps.log.info({ repo: payload.repository.full_name, changes: payload.push.changes.length }, "push received");
  deps.webhooks.dispatch("repo:push", repo.workspace, payload.repository.full_name, payload);
  deps.forge?.onPush(repo, payload);
}
