/**
 * The whole stack for direct-mode tests: the sandbox as Bitbucket (repository access tokens and
 * plain repository webhooks, no Connect), Hoist on the embedded backend with the local Lambda
 * runner running the real deployer, started with HOIST_DIRECT_SITES_FILE, and real `git push`.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../core/config.ts";
import type { DeployRecord } from "../../core/deploy-records.ts";
import { createLogger } from "../../core/log.ts";
import { runHoist, type RunningHoist } from "../../server/hoist-server.ts";
import { startSandbox, type Sandbox } from "../../sandbox/server.ts";
import { commitAndPush, getSite, git } from "../addon/harness.ts";

export type DirectSiteSetup = { workspace: string; repo: string; secret: string; token: string; cloneUrl: string; hookUrl: string };

export type DirectStack = {
  sandbox: Sandbox;
  hoist: RunningHoist;
  sites: Record<string, DirectSiteSetup>;
  /** Commits `files` in the site's work tree and pushes the branch to the sandbox. */
  pushFiles(site: string, files: Record<string, string>, message: string, branch?: string): Promise<string>;
  /** Adds the site's plain repository webhook in the sandbox (signed with its secret). */
  addWebhook(site: string): void;
  deploys(site: string): Promise<DeployRecord[]>;
  settle(): Promise<void>;
  site(host: string, path?: string): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
};

export async function startDirectStack(siteNames: string[]): Promise<DirectStack> {
  const dir = await mkdtemp(join(tmpdir(), "hoist-direct-"));
  const sandbox = await startSandbox({ dataDir: join(dir, "sandbox"), port: 0 });
  const sites: Record<string, DirectSiteSetup> = {};
  for (const name of siteNames) {
    const [workspace, repo] = name.split("/") as [string, string];
    sandbox.createWorkspace(workspace);
    const { cloneUrl } = await sandbox.createRepo(workspace, repo);
    const token = sandbox.createRepoAccessToken(workspace, repo, ["repository", "repository:write"]);
    sites[name] = { workspace, repo, secret: randomBytes(24).toString("base64url"), token, cloneUrl, hookUrl: "" };
  }
  const sitesFile = join(dir, "direct-sites.json");
  const entries = Object.entries(sites).map(([site, s]) => ({ site, webhookSecret: s.secret, accessToken: s.token, baseUrl: sandbox.url, apiUrl: sandbox.url }));
  await writeFile(sitesFile, JSON.stringify(entries), { mode: 0o600 });
  const config = loadConfig({
    NODE_ENV: "development",
    PORT: "0",
    HOIST_DATA_DIR: join(dir, "hoist"),
    HOIST_LOG_LEVEL: process.env.HOIST_TEST_LOG ?? "silent",
    HOIST_LAMBDA_TIMEOUT: "20",
    HOIST_DIRECT_SITES_FILE: sitesFile,
  });
  const logger = createLogger({ level: config.log.level, name: "hoist-direct-test" });
  const hoist = await runHoist(config, logger, { app: { fetchStallMs: 1500, pollMs: 50 }, lambdaRetryDelaysMs: 200 });
  for (const [name, s] of Object.entries(sites)) s.hookUrl = `${hoist.url}/hooks/bitbucket/${name}`;

  const work = async (name: string) => {
    const tree = join(dir, "work", name);
    await mkdir(tree, { recursive: true });
    await git(tree, "init", "--quiet", "--initial-branch=main").catch(() => undefined);
    return tree;
  };
  return {
    sandbox,
    hoist,
    sites,
    async pushFiles(name, files, message, branch = "main") {
      return commitAndPush(await work(name), sites[name]!.cloneUrl, files, message, branch);
    },
    addWebhook(name) {
      const s = sites[name]!;
      sandbox.addRepoWebhook(s.workspace, s.repo, { url: s.hookUrl, secret: s.secret, events: ["repo:push"] });
    },
    async deploys(name) {
      return (await hoist.hoist.records.list(name, { limit: 50 })).deploys;
    },
    async settle() {
      await sandbox.settled();
      await hoist.hoist.idle();
    },
    site: (host, path = "/") => getSite(hoist, host, path),
    async close() {
      await hoist.close();
      await sandbox.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

