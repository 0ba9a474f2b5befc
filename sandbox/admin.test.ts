import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "./server.ts";
import { commitFiles, git, removeDir, tempDir, workTree } from "./test-support.ts";

describe("admin API under /_sandbox", () => {
  let sandbox: Sandbox;
  let dir: string;

  beforeEach(async () => {
    dir = await tempDir("sandbox-admin-");
    sandbox = await startSandbox({ dataDir: dir });
  });
  afterEach(async () => {
    await sandbox.close();
    await removeDir(dir);
  });

  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${sandbox.url}/_sandbox${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it("creates a repository that takes a push", async () => {
    const res = await call("POST", "/repos", { workspace: "acme", slug: "site" });
    expect(res.status).toBe(201);
    const repo = await res.json();
    expect(repo).toMatchObject({ full_name: "acme/site", cloneUrl: `${sandbox.url}/acme/site.git` });

    const tree = await workTree(`${dir}/work`);
    const hash = await commitFiles(tree, { "a.txt": "a" }, "a");
    await git(tree, "push", "--quiet", repo.cloneUrl, "main");
    expect(await (await call("GET", `/statuses/acme/site/${hash}`)).json()).toEqual([]);
  });

  it("refuses bad slugs with a code and a reason", async () => {
    const res = await call("POST", "/repos", { workspace: "Bad Name", slug: "site" });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({ code: "workspace.bad_slug" });
  });

  it("sets and reads fault switches, rejecting unknown ones", async () => {
    const set = await call("PUT", "/faults", { archive: { bytesPerSecond: 1000 }, clockSkewSeconds: 30 });
    expect(set.status).toBe(200);
    expect(sandbox.faults).toMatchObject({ archive: { bytesPerSecond: 1000 }, clockSkewSeconds: 30 });
    expect((await call("PUT", "/faults", { archive: { explode: true } })).status).toBe(400);
    expect(await (await call("GET", "/faults")).json()).toMatchObject({ clockSkewSeconds: 30 });
  });

  it("bounds JSON bodies at 256 KB", async () => {
    const res = await call("POST", "/workspaces", { slug: "acme", name: "x".repeat(300 * 1024) });
    expect(res.status).toBe(413);
  });

  it("refuses to install into an unknown workspace", async () => {
    const res = await call("POST", "/installations", { descriptorUrl: "http://127.0.0.1:9/d.json", workspace: "ghost" });
    expect(res.status).toBe(404);
  });

  it("refuses to bind anywhere but loopback", async () => {
    await expect(startSandbox({ dataDir: dir, host: "0.0.0.0" })).rejects.toThrow(/loopback/);
  });
});
