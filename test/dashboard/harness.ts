import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../core/config.ts";
import { createLogger } from "../../core/log.ts";
import { runHoist, type RunningHoist } from "../../server/hoist-server.ts";
import { freePort } from "../../server/listen.ts";
import { startSandbox, type Sandbox } from "../../sandbox/server.ts";
import { commitAndPush, git } from "../addon/harness.ts";

/**
 * Hoist with sign-in through the sandbox's OAuth consumer, and browsers as cookie jars that
 * follow Bitbucket's consent page the way a person clicks it.
 */

export type DashStack = {
  dir: string;
  sandbox: Sandbox;
  hoist: RunningHoist;
  /** A browser signed in as `nickname` (the sandbox's users: "sandbox-user" is admin everywhere). */
  signIn(nickname: string): Promise<Browser>;
  repo(workspace: string, slug: string): Promise<{ pushFiles(files: Record<string, string>, message: string, branch?: string): Promise<string> }>;
  settle(): Promise<void>;
  close(): Promise<void>;
};

// biome-ignore lint/suspicious/noExplicitAny: test replies are read loosely and checked by the assertions
export type Reply = { status: number; headers: Headers; body: string; json: () => any };

export class Browser {
  readonly cookies = new Map<string, string>();
  constructor(
    readonly origin: string,
    private csrf?: string,
  ) {}

  async get(url: string, init: RequestInit = {}): Promise<Reply> {
    return this.send(url, { ...init, method: "GET" });
  }

  /** A change from the dashboard page: same origin, the session's CSRF token. */
  async change(method: "POST" | "DELETE", path: string, body?: unknown, opts: { csrf?: string | null; origin?: string } = {}): Promise<Reply> {
    const headers: Record<string, string> = { "content-type": "application/json", origin: opts.origin ?? this.origin };
    const csrf = opts.csrf === undefined ? this.csrf : opts.csrf;
    if (csrf) headers["x-csrf-token"] = csrf;
    return this.send(`${this.origin}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  }

  async loadMe(): Promise<void> {
    this.csrf = (await this.get(`${this.origin}/dashboard/api/me`)).json().csrf;
  }

  async send(url: string, init: RequestInit): Promise<Reply> {
    const host = new URL(url).host;
    const cookie = [...this.cookies].filter(([k]) => k.startsWith(`${host} `)).map(([k, v]) => `${k.split(" ")[1]}=${v}`).join("; ");
    const res = await fetch(url, { ...init, redirect: "manual", headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) } });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const [name, ...value] = pair!.split("=");
      if (/max-age=0/i.test(line)) this.cookies.delete(`${host} ${name}`);
      else this.cookies.set(`${host} ${name}`, value.join("="));
    }
    const body = await res.text();
    return { status: res.status, headers: res.headers, body, json: () => JSON.parse(body) };
  }
}

export async function startDashStack(): Promise<DashStack> {
  const dir = await mkdtemp(join(tmpdir(), "hoist-dash-"));
  const sandbox = await startSandbox({ dataDir: join(dir, "sandbox"), port: 0 });
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const consumer = sandbox.createOAuthConsumer({ name: "Hoist", callbackUrl: `${origin}/auth/bitbucket/callback` });
  const config = loadConfig({
    NODE_ENV: "development",
    PORT: String(port),
    HOIST_DATA_DIR: join(dir, "hoist"),
    HOIST_LOG_LEVEL: process.env.HOIST_TEST_LOG ?? "silent",
    HOIST_LAMBDA_TIMEOUT: "20",
    HOIST_OAUTH_CLIENT_ID: consumer.key,
    HOIST_OAUTH_CLIENT_SECRET: consumer.secret,
    HOIST_BITBUCKET_URL: sandbox.url,
    HOIST_BITBUCKET_API_URL: sandbox.url,
  });
  const hoist = await runHoist(config, createLogger({ level: config.log.level, name: "hoist-dash-test" }), {
    app: { fetchStallMs: 1500, pollMs: 50, fetchRetryDelaysMs: [50, 100] },
    lambdaRetryDelaysMs: 200,
  });
  return {
    dir,
    sandbox,
    hoist,
    async signIn(nickname) {
      const browser = new Browser(origin);
      const start = await browser.get(`${origin}/auth/bitbucket`);
      const consent = new URL(start.headers.get("location")!);
      await browser.get(consent.toString());
      const form = new URLSearchParams({ client_id: consent.searchParams.get("client_id")!, response_type: "code", state: consent.searchParams.get("state")!, redirect_uri: consent.searchParams.get("redirect_uri")!, user: nickname, decision: "grant" });
      const granted = await browser.send(`${sandbox.url}/site/oauth2/authorize`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form.toString() });
      const back = await browser.get(granted.headers.get("location")!);
      if (back.status !== 303) throw new Error(`sign-in as ${nickname} failed: ${back.status} ${back.body.slice(0, 200)}`);
      await browser.loadMe();
      return browser;
    },
    async repo(workspace, slug) {
      sandbox.createWorkspace(workspace);
      const { cloneUrl } = await sandbox.createRepo(workspace, slug);
      const work = join(dir, "work", workspace, slug);
      await mkdir(work, { recursive: true });
      await git(work, "init", "--quiet", "--initial-branch=main");
      return { pushFiles: (files, message, branch = "main") => commitAndPush(work, cloneUrl, files, message, branch) };
    },
    async settle() {
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
