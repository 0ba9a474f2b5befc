/**
 * The whole stack for add-on tests: the real sandbox (Bitbucket), Hoist on the embedded backend
 * with the local Lambda runner running the real deployer, and real `git push`.
 */
import { execFile } from "node:child_process";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import * as jwt from "atlassian-jwt";
import { loadConfig } from "../../core/config.ts";
import { createLogger } from "../../core/log.ts";
import { runHoist, type RunningHoist } from "../../server/hoist-server.ts";
import { startSandbox, type Sandbox } from "../../sandbox/server.ts";
import { requestAsHost } from "../support/http.ts";

const run = promisify(execFile);

export type Stack = {
  dir: string;
  sandbox: Sandbox;
  hoist: RunningHoist;
  descriptorUrl: string;
  install(workspace: string): Promise<{ clientKey: string; sharedSecret: string }>;
  /** A working tree for ws/repo (created in the sandbox); commit + push with `pushFiles`. */
  repo(workspace: string, repo: string): Promise<Repo>;
  /** Waits until every webhook, push and deploy started so far has ended. */
  settle(): Promise<void>;
  site(host: string, path?: string): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
};

export type Repo = { dir: string; cloneUrl: string; pushFiles(files: Record<string, string>, message: string, branch?: string): Promise<string>; push(ref: string): Promise<void> };

/** `env` adds to (or overrides) the settings below, e.g. HOIST_BACKEND=aws + AWS_ENDPOINT_URL for moto. */
export async function startStack(opts: { stallMs?: number; lambdaTimeout?: number; env?: Record<string, string> } = {}): Promise<Stack> {
  const dir = await mkdtemp(join(tmpdir(), "hoist-addon-"));
  const sandbox = await startSandbox({ dataDir: join(dir, "sandbox"), port: 0 });
  const config = loadConfig({
    NODE_ENV: "development",
    PORT: "0",
    HOIST_DATA_DIR: join(dir, "hoist"),
    HOIST_LOG_LEVEL: process.env.HOIST_TEST_LOG ?? "silent",
    HOIST_LAMBDA_TIMEOUT: String(opts.lambdaTimeout ?? 20),
    ...opts.env,
  });
  const logger = createLogger({ level: config.log.level, name: "hoist-test" });
  const hoist = await runHoist(config, logger, {
    app: { fetchStallMs: opts.stallMs ?? 1500, verifyDelaysMs: [0, 50, 100, 200, 400, 800, 1600], pollMs: 50, fetchRetryDelaysMs: [50, 100] },
    lambdaRetryDelaysMs: 200,
  });
  const descriptorUrl = `${hoist.url}/atlassian-connect.json`;
  const stack: Stack = {
    dir,
    sandbox,
    hoist,
    descriptorUrl,
    async install(workspace) {
      sandbox.createWorkspace(workspace);
      const summary = await sandbox.installAddon(descriptorUrl, { workspace });
      // Verification runs after the install is answered; wait for it like a user waits for the panel.
      await waitFor(async () => (await hoist.hoist.installations.getActive(summary.clientKey)) !== undefined);
      const info = (await hoist.hoist.addon.settings.get("clientInfo", summary.clientKey)) as { sharedSecret: string };
      return { clientKey: summary.clientKey, sharedSecret: info.sharedSecret };
    },
    async repo(workspace, slug) {
      const { cloneUrl } = await sandbox.createRepo(workspace, slug);
      const work = join(dir, "work", workspace, slug);
      await mkdir(work, { recursive: true });
      await git(work, "init", "--quiet", "--initial-branch=main");
      const repo: Repo = {
        dir: work,
        cloneUrl,
        pushFiles: (files, message, branch = "main") => commitAndPush(work, cloneUrl, files, message, branch),
        async push(ref) {
          await git(work, "push", "--quiet", cloneUrl, ref);
        },
      };
      return repo;
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
  return stack;
}

/** Writes `files` into the work tree on `branch`, commits and pushes them; resolves with the commit hash. */
export async function commitAndPush(tree: string, cloneUrl: string, files: Record<string, string | Buffer>, message: string, branch = "main"): Promise<string> {
  const current = await git(tree, "rev-parse", "--abbrev-ref", "HEAD").catch(() => "main");
  if (current !== branch) await git(tree, "checkout", "--quiet", "-B", branch);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(tree, path)), { recursive: true });
    await writeFile(join(tree, path), content);
  }
  await git(tree, "add", "-A");
  await git(tree, "commit", "--quiet", "--allow-empty", "-m", message);
  const commit = await git(tree, "rev-parse", "HEAD");
  await git(tree, "push", "--quiet", cloneUrl, `${branch}:${branch}`);
  return commit;
}

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const env = { ...process.env, GIT_AUTHOR_NAME: "Ada Lovelace", GIT_AUTHOR_EMAIL: "ada@example.com", GIT_COMMITTER_NAME: "Ada Lovelace", GIT_COMMITTER_EMAIL: "ada@example.com", GIT_TERMINAL_PROMPT: "0" };
  const { stdout } = await run("git", args, { cwd, env });
  return stdout.trim();
}

export function siteHost(stack: Stack, label: string): string {
  return `${label}.${stack.hoist.config.sitesDomain}`;
}

export async function getSite(hoist: RunningHoist, host: string, path: string): Promise<{ status: number; body: string }> {
  const reply = await requestAsHost({ port: new URL(hoist.url).port, host, path });
  return { status: reply.status, body: reply.body.toString("utf8") };
}

/** Waits until the site serves `text` (the gateway caches live pointers for about a second). */
export async function siteShows(stack: Stack, host: string, text: string, path = "/"): Promise<boolean> {
  await waitFor(async () => (await stack.site(host, path)).body.includes(text), 5000);
  return true;
}

export async function waitFor(check: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A JWT as Bitbucket signs requests to the add-on, with knobs for hostile variants. */
export function bitbucketJwt(input: {
  clientKey: string;
  secret: string;
  method: string;
  url: string;
  baseUrl: string;
  sub?: string;
  iat?: number;
  exp?: number;
}): string {
  const now = Math.floor(Date.now() / 1000);
  const iat = input.iat ?? now;
  const claims = {
    iss: input.clientKey,
    sub: input.sub ?? input.clientKey,
    iat,
    exp: input.exp ?? iat + 180,
    qsh: jwt.createQueryStringHash(jwt.fromMethodAndUrl(input.method, input.url), false, input.baseUrl),
  };
  return jwt.encodeSymmetric(claims, input.secret, jwt.SymmetricAlgorithm.HS256);
}

/** Opens the panel iframe as Bitbucket would and returns the session token and context it injects. */
export async function openPanel(stack: Stack, inst: { clientKey: string; sharedSecret: string }, workspace: string, repo: string): Promise<{ token: string; status: number; html: string; headers: Headers }> {
  const path = `/panel?repoUuid=%7Bx%7D&repoPath=${encodeURIComponent(`${workspace}/${repo}`)}&mainBranch=main`;
  const token = bitbucketJwt({ clientKey: inst.clientKey, secret: inst.sharedSecret, method: "GET", url: `${stack.hoist.url}${path}`, baseUrl: stack.hoist.url, sub: "user-1" });
  const res = await fetch(`${stack.hoist.url}${path}&jwt=${token}`);
  const html = await res.text();
  const session = /<meta name="hoist-token" content="([^"]*)">/.exec(html)?.[1] ?? "";
  return { token: session, status: res.status, html, headers: res.headers };
}

export async function api(stack: Stack, token: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: any; fresh: string | null }> {
  const res = await fetch(`${stack.hoist.url}${path}`, {
    method: init.method ?? "GET",
    headers: { authorization: `JWT ${token}`, ...(init.body ? { "content-type": "application/json" } : {}) },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, body, fresh: res.headers.get("x-acpt") };
}

/**
 * Pushes a commit Bitbucket has but whose webhook never reaches Hoist (as if Hoist were down):
 * webhooks are off until the sandbox has sent what the push would have sent.
 */
export async function pushUnseen(stack: Stack, repo: Repo, text: string): Promise<string> {
  stack.sandbox.faults = { webhooks: { drop: true } };
  try {
    const commit = await repo.pushFiles({ "index.html": `<p>${text}</p>` }, text);
    await stack.sandbox.settled();
    return commit;
  } finally {
    stack.sandbox.faults = {};
  }
}
