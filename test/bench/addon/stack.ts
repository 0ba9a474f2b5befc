import { execFile } from "node:child_process";
import { request } from "node:http";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { loadConfig } from "../../../core/config.ts";
import { createLogger } from "../../../core/log.ts";
import { stageHostLabel, type SiteRef } from "../../../core/site.ts";
import { startLocalMode, DEMO, type LocalMode } from "../../../server/local/local-mode.ts";
import { SandboxState, type Installation } from "../../../sandbox/state.ts";

/**
 * Hoist as `npm start` runs it on a bare machine (local mode: embedded backend, local Lambda
 * runner, add-on + gateway, the Bitbucket sandbox with Hoist installed in workspace `demo`),
 * started in the bench process on a fresh data folder, with default options (no test knobs).
 */

const run = promisify(execFile);

export type BenchStack = {
  local: LocalMode;
  dataDir: string;
  /** The sandbox's own record of Hoist's installation in `demo` (it signs with this secret). */
  installation(): Installation;
  sandboxState(): SandboxState;
  /** Every webhook delivery, push and deploy started so far has ended. */
  settle(): Promise<void>;
  /** GET through the gateway: 127.0.0.1 with the site's Host header. */
  site(ref: SiteRef, path?: string): Promise<{ status: number; body: string }>;
  /** A work tree whose origin is a new sandbox repository in `demo`. */
  repo(slug: string): Promise<WorkTree>;
  close(): Promise<void>;
};

export type WorkTree = { dir: string; ref: SiteRef; write(files: Record<string, string>): Promise<void>; commit(message: string): Promise<string>; push(): Promise<void> };

export async function startBenchStack(root: string, name: string): Promise<BenchStack> {
  const dataDir = join(root, "data", `addon-${name}`);
  await rm(dataDir, { recursive: true, force: true });
  const config = loadConfig({ PORT: "0", HOIST_DATA_DIR: dataDir, HOIST_LOG_LEVEL: "warn" });
  const logger = createLogger({ level: "warn", name: "hoist-bench", stderr: true });
  const local = await startLocalMode(config, logger);
  const port = new URL(local.hoist.url).port;
  const stack: BenchStack = {
    local,
    dataDir,
    sandboxState: () => new SandboxState(join(dataDir, "sandbox")),
    installation() {
      const found = stack.sandboxState().installationsOf(DEMO.workspace)[0];
      if (!found) throw new Error("Hoist is not installed in the sandbox's demo workspace");
      return found;
    },
    async settle() {
      await local.sandbox.settled();
      await local.hoist.hoist.idle();
    },
    site: (ref, path = "/") => getVia(port, `${stageHostLabel(ref)}.${local.hoist.config.sitesDomain}`, path),
    async repo(slug) {
      const { cloneUrl } = await local.sandbox.createRepo(DEMO.workspace, slug);
      const dir = join(dataDir, "work", slug);
      await mkdir(dir, { recursive: true });
      await git(dir, "init", "--quiet", "--initial-branch=main");
      await git(dir, "remote", "add", "origin", cloneUrl);
      return workTree(dir, { workspace: DEMO.workspace, repo: slug });
    },
    async close() {
      await local.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  await stack.settle(); // the demo site's first deploy
  return stack;
}

export function workTree(dir: string, ref: SiteRef): WorkTree {
  return {
    dir,
    ref,
    async write(files) {
      for (const [path, content] of Object.entries(files)) {
        await mkdir(dirname(join(dir, path)), { recursive: true });
        await writeFile(join(dir, path), content);
      }
    },
    async commit(message) {
      await git(dir, "add", "-A");
      await git(dir, "commit", "--quiet", "--allow-empty", "-m", message);
      return git(dir, "rev-parse", "HEAD");
    },
    push: async () => void (await git(dir, "push", "--quiet", "origin", "main")),
  };
}

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const env = { ...process.env, GIT_AUTHOR_NAME: "Ada Lovelace", GIT_AUTHOR_EMAIL: "ada@example.com", GIT_COMMITTER_NAME: "Ada Lovelace", GIT_COMMITTER_EMAIL: "ada@example.com", GIT_TERMINAL_PROMPT: "0" };
  const { stdout } = await run("git", args, { cwd, env, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

function getVia(port: string, host: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers: { host }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** A small static site of `pages` HTML pages plus CSS/JS/SVG (≤ 100 files in all). */
export function smallSite(pages: number, marker: string): Record<string, string> {
  const files: Record<string, string> = {
    "index.html": `<!doctype html><html><head><meta charset="utf-8"><title>bench</title><link rel="stylesheet" href="css/site.css"></head><body><h1>${marker}</h1><script src="js/app.js"></script></body></html>\n`,
    "css/site.css": `body{font:16px/1.5 system-ui,sans-serif;margin:0}${".c{color:#123}".repeat(200)}\n`,
    "js/app.js": `document.querySelectorAll("a").forEach((a)=>a.dataset.ok="1");\n${"// filler line of a small bundle\n".repeat(300)}`,
    "img/logo.svg": `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="4"/></svg>\n`,
  };
  for (let i = 1; i <= pages; i++) {
    files[`pages/p${String(i).padStart(3, "0")}.html`] = `<!doctype html><meta charset="utf-8"><title>Page ${i}</title><p>${`Page ${i} of the bench site. `.repeat(40)}</p>\n`;
  }
  return files;
}
