import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The small static site local mode commits into the sandbox's demo repository on first start. */
const DEMO_FILES: Record<string, string> = {
  "index.html": `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Hoist demo</title><link rel="stylesheet" href="style.css"></head>
<body><main><h1>Deployed by Hoist</h1><p>Edit <code>index.html</code>, commit, and <code>git push</code>: this page updates in seconds.</p></main></body>
</html>
`,
  "style.css": "body{font:16px/1.5 system-ui,sans-serif;margin:0;display:grid;place-items:center;min-height:100vh;background:#f4f5f7}main{max-width:36rem;padding:2rem}\n",
  "404.html": "<!doctype html><meta charset=\"utf-8\"><title>Not found</title><p>No such page on this demo site.</p>\n",
};

async function git(cwd: string, ...args: string[]): Promise<string> {
  const env = { ...process.env, GIT_AUTHOR_NAME: "Hoist Demo", GIT_AUTHOR_EMAIL: "demo@hoist.invalid", GIT_COMMITTER_NAME: "Hoist Demo", GIT_COMMITTER_EMAIL: "demo@hoist.invalid", GIT_TERMINAL_PROMPT: "0" };
  const { stdout } = await run("git", args, { cwd, env });
  return stdout.trim();
}

/**
 * A working tree at `dir` whose `origin` is the sandbox repository. On first start it commits
 * the demo site and pushes it (which deploys it); later starts leave it as the user left it.
 */
export async function prepareDemoRepo(dir: string, cloneUrl: string): Promise<{ dir: string; pushed: boolean }> {
  if (existsSync(join(dir, ".git"))) {
    await git(dir, "remote", "set-url", "origin", cloneUrl);
    return { dir, pushed: false };
  }
  await mkdir(dir, { recursive: true });
  await git(dir, "init", "--quiet", "--initial-branch=main");
  await git(dir, "remote", "add", "origin", cloneUrl);
  for (const [path, content] of Object.entries(DEMO_FILES)) await writeFile(join(dir, path), content);
  await git(dir, "add", "-A");
  await git(dir, "commit", "--quiet", "-m", "Demo site");
  await git(dir, "push", "--quiet", "origin", "main");
  return { dir, pushed: true };
}
