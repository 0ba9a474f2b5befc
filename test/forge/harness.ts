import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { loadConfig } from "../../core/config.ts";
import { createLogger } from "../../core/log.ts";
import { runHoist, type RunningHoist } from "../../server/hoist-server.ts";
import { freePort } from "../../server/listen.ts";
import { startSandbox, type Sandbox } from "../../sandbox/server.ts";
import { commitAndPush, git } from "../addon/harness.ts";
import { requestAsHost } from "../support/http.ts";

/**
 * Hoist as the remote of its Forge app (forge/manifest.yml, the real file), against the sandbox
 * playing Forge: Forge's keys, installations, push events and the panel's invocations all come
 * from the sandbox; Hoist is configured only the way an operator configures it (app id, JWKS URL,
 * where Bitbucket is).
 */

export const MANIFEST = resolve(import.meta.dirname, "../../forge/manifest.yml");

export type ForgeStack = {
  dir: string;
  sandbox: Sandbox;
  hoist: RunningHoist;
  appId: string;
  /** A repository with a working tree; `uuid` is Bitbucket's, as Forge names it. */
  repo(workspace: string, slug: string): Promise<{ uuid: string; pushFiles(files: Record<string, string>, message: string, branch?: string): Promise<string> }>;
  /** The production site's body at `/`. */
  site(workspace: string, repo: string): Promise<string>;
  settle(): Promise<void>;
  close(): Promise<void>;
};

export async function startForgeStack(opts: { directSites?: { workspace: string; repo: string }[] } = {}): Promise<ForgeStack> {
  const dir = await mkdtemp(join(tmpdir(), "hoist-forge-"));
  const sandbox = await startSandbox({ dataDir: join(dir, "sandbox"), port: 0 });
  const appId = (parse(await readFile(MANIFEST, "utf8")) as { app: { id: string } }).app.id;
  const port = await freePort();
  let sitesFile: string | undefined;
  if (opts.directSites?.length) {
    sitesFile = join(dir, "direct-sites.json");
    const sites = opts.directSites.map((s) => ({ site: `${s.workspace}/${s.repo}`, webhookSecret: "a-long-enough-webhook-secret-0001", accessToken: "unused-repository-access-token", baseUrl: sandbox.url, apiUrl: sandbox.url }));
    await writeFile(sitesFile, JSON.stringify(sites));
  }
  const config = loadConfig({
    NODE_ENV: "development",
    PORT: String(port),
    HOIST_DATA_DIR: join(dir, "hoist"),
    HOIST_LOG_LEVEL: process.env.HOIST_TEST_LOG ?? "silent",
    HOIST_LAMBDA_TIMEOUT: "20",
    HOIST_FORGE_APP_ID: appId,
    HOIST_FORGE_JWKS_URL: sandbox.forgeJwksUrl,
    HOIST_FORGE_MANIFEST: MANIFEST,
    HOIST_BITBUCKET_URL: sandbox.url,
    HOIST_BITBUCKET_API_URL: sandbox.url,
    ...(sitesFile ? { HOIST_DIRECT_SITES_FILE: sitesFile } : {}),
  });
  const hoist = await runHoist(config, createLogger({ level: config.log.level, name: "hoist-forge-test" }), {
    app: { fetchStallMs: 1500, pollMs: 50, fetchRetryDelaysMs: [50, 100], forge: { jwksCooldownMs: 0 } },
    lambdaRetryDelaysMs: 200,
  });
  return {
    dir,
    sandbox,
    hoist,
    appId,
    async repo(workspace, slug) {
      sandbox.createWorkspace(workspace);
      const { cloneUrl, uuid } = await sandbox.createRepo(workspace, slug);
      const work = join(dir, "work", workspace, slug);
      await mkdir(work, { recursive: true });
      await git(work, "init", "--quiet", "--initial-branch=main").catch(() => "");
      return { uuid, pushFiles: (files, message, branch = "main") => commitAndPush(work, cloneUrl, files, message, branch) };
    },
    async site(workspace, repo) {
      const res = await requestAsHost({ port: hoist.listening.port, host: `${repo}--${workspace}.${config.sitesDomain}`, path: "/" });
      return res.body.toString();
    },
    async settle() {
      await sandbox.settled();
      await hoist.hoist.idle();
      await sandbox.settled();
      await hoist.hoist.idle();
    },
    async close() {
      await hoist.close();
      await sandbox.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
