import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "./server.ts";
import { type FakeAddon, accessToken, commitFiles, git, removeDir, startFakeAddon, tempDir, workTree } from "./test-support.ts";

describe("build statuses and the repository API", () => {
  let sandbox: Sandbox;
  let addon: FakeAddon;
  let dir: string;
  let hash: string;
  let token: string;

  beforeEach(async () => {
    dir = await tempDir("sandbox-status-");
    sandbox = await startSandbox({ dataDir: `${dir}/data` });
    addon = await startFakeAddon();
    const { cloneUrl } = await sandbox.createRepo("acme", "site");
    await sandbox.installAddon(addon.descriptorUrl, { workspace: "acme" });
    const tree = await workTree(`${dir}/work`);
    hash = await commitFiles(tree, { "a.txt": "a" }, "a");
    await git(tree, "push", "--quiet", cloneUrl, "main");
    token = await accessToken(sandbox.url, addon);
  });
  afterEach(async () => {
    await sandbox.close();
    await addon.close();
    await removeDir(dir);
  });

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${sandbox.url}/2.0/repositories/acme/site${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers },
    });
  const post = (body: object) => api(`/commit/${hash}/statuses/build`, { method: "POST", body: JSON.stringify(body) });

  it("overwrites a status with the same key", async () => {
    const first = await post({ key: "hoist", state: "INPROGRESS", url: "http://site.test/", name: "Hoist", description: "deploying" });
    expect(first.status).toBe(201);
    const second = await post({ key: "hoist", state: "SUCCESSFUL", url: "http://site.test/", name: "Hoist", description: "live" });
    expect(second.status).toBe(200);
    await post({ key: "other", state: "FAILED", url: "http://ci.test/" });

    const list = await (await api(`/commit/${hash}/statuses`)).json();
    expect(list).toMatchObject({ size: 2, page: 1, pagelen: 10 });
    const hoist = list.values.find((s: { key: string }) => s.key === "hoist");
    expect(hoist).toMatchObject({ type: "build", state: "SUCCESSFUL", description: "live", commit: { hash } });
    expect((await sandbox.statuses("acme", "site", hash)).map((s) => s.key).sort()).toEqual(["hoist", "other"]);
  });

  it("accepts a short hash and stores under the full one", async () => {
    await api(`/commit/${hash.slice(0, 12)}/statuses/build`, {
      method: "POST",
      body: JSON.stringify({ key: "k", state: "STOPPED", url: "http://x.test/" }),
    });
    expect(await sandbox.statuses("acme", "site", hash)).toHaveLength(1);
  });

  it("validates the body and requires a token", async () => {
    expect((await post({ key: "k", state: "DONE", url: "http://x.test/" })).status).toBe(400);
    const anonymous = await fetch(`${sandbox.url}/2.0/repositories/acme/site/commit/${hash}/statuses`);
    expect(anonymous.status).toBe(401);
    expect((await api(`/commit/${"f".repeat(40)}/statuses`)).status).toBe(404);
  });

  it("serves the repository with its main branch", async () => {
    const repo = await (await api("")).json();
    expect(repo).toMatchObject({ type: "repository", full_name: "acme/site", mainbranch: { name: "main" } });
  });
});
