import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "./server.ts";
import { type FakeAddon, accessToken, commitFiles, git, removeDir, startFakeAddon, tempDir, workTree } from "./test-support.ts";

const run = promisify(execFile);

describe("GET /<workspace>/<repo>/get/<commit>.tar.gz", () => {
  let sandbox: Sandbox;
  let addon: FakeAddon;
  let dir: string;
  let hash: string;
  let token: string;

  beforeEach(async () => {
    dir = await tempDir("sandbox-archive-");
    sandbox = await startSandbox({ dataDir: `${dir}/data` });
    addon = await startFakeAddon();
    const { cloneUrl } = await sandbox.createRepo("acme", "site");
    await sandbox.installAddon(addon.descriptorUrl, { workspace: "acme" });
    const tree = await workTree(`${dir}/work`);
    hash = await commitFiles(tree, { "index.html": "<h1>hi</h1>", "css/site.css": "body{}" }, "site");
    await git(tree, "push", "--quiet", cloneUrl, "main");
    token = await accessToken(sandbox.url, addon);
  });
  afterEach(async () => {
    await sandbox.close();
    await addon.close();
    await removeDir(dir);
  });

  const archiveUrl = (spec: string) => `${sandbox.url}/acme/site/get/${spec}.tar.gz`;
  const get = (spec: string, bearer = token) => fetch(archiveUrl(spec), { headers: { authorization: `Bearer ${bearer}` } });

  it("streams the commit's files under Bitbucket's top folder", async () => {
    const res = await get(hash);
    expect(res.status).toBe(200);
    await writeFile(`${dir}/a.tar.gz`, Buffer.from(await res.arrayBuffer()));
    const { stdout } = await run("tar", ["-tzf", `${dir}/a.tar.gz`]);
    const top = `acme-site-${hash.slice(0, 12)}/`;
    expect(stdout.split("\n").filter(Boolean).sort()).toEqual([top, `${top}css/`, `${top}css/site.css`, `${top}index.html`]);
    await run("tar", ["-xzf", `${dir}/a.tar.gz`, "-C", dir]);
    expect(await readFile(`${dir}/${top}index.html`, "utf8")).toBe("<h1>hi</h1>");
  });

  it("resolves a branch name to its commit", async () => {
    const res = await get("main");
    expect(res.headers.get("content-disposition")).toContain(`acme-site-${hash.slice(0, 12)}.tar.gz`);
    await res.arrayBuffer();
  });

  it("requires a bearer token", async () => {
    expect((await fetch(archiveUrl(hash))).status).toBe(401);
    expect((await get(hash, "made-up")).status).toBe(401);
  });

  it("refuses a token from another workspace's installation", async () => {
    sandbox.createWorkspace("other");
    await sandbox.installAddon(addon.descriptorUrl, { workspace: "other" });
    const otherToken = await accessToken(sandbox.url, addon);
    expect((await get(hash, otherToken)).status).toBe(401);
  });

  it("answers 404 for an unknown commit or repository", async () => {
    expect((await get("0".repeat(40))).status).toBe(404);
    expect((await get("--output=x")).status).toBe(404);
    const res = await fetch(`${sandbox.url}/acme/nope/get/${hash}.tar.gz`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(404);
  });

  it("fails on demand with the configured status", async () => {
    sandbox.faults = { archive: { failStatus: 503 } };
    expect((await get(hash)).status).toBe(503);
  });

  it("cuts the connection after N bytes when truncation is switched on", async () => {
    sandbox.faults = { archive: { truncateAfterBytes: 10 } };
    const res = await get(hash);
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow();
  });

  it("throttles to the configured rate", async () => {
    const full = (await (await get(hash)).arrayBuffer()).byteLength;
    sandbox.faults = { archive: { bytesPerSecond: Math.ceil(full / 0.5) } };
    const started = Date.now();
    const slow = await (await get(hash)).arrayBuffer();
    expect(slow.byteLength).toBe(full);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it("never ends the body when asked to", async () => {
    sandbox.faults = { archive: { neverEnd: true } };
    const res = await fetch(archiveUrl(hash), { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(500) });
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow();
  });
});
