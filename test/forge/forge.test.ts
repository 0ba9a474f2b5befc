import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../addon/harness.ts";
import { startForgeStack, type ForgeStack } from "./harness.ts";

/**
 * Hoist as the Forge app's remote, against the sandbox playing Forge and Bitbucket: installed in
 * a workspace, a `git push` arrives as Forge's push event and goes live; the panel's calls are
 * authorized by the FIT's user and Bitbucket's permissions; every forged, foreign or replayed
 * invocation is refused or deploys nothing more.
 */
describe("the Forge app", () => {
  let stack: ForgeStack;
  let site: Awaited<ReturnType<ForgeStack["repo"]>>;
  const commits: string[] = [];
  const deploysOf = async (siteId: string) => (await stack.hoist.hoist.records.list(siteId, { limit: 100 })).deploys;
  const pushPath = "/forge/events/push";
  // The gateway reads a stage's pointer again within a second of a publish.
  const serves = (text: string) => waitFor(async () => (await stack.site("acme", "site")).includes(text));
  const post = async (path: string, body: unknown, headers: Record<string, string>) =>
    fetch(`${stack.hoist.url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

  beforeAll(async () => {
    stack = await startForgeStack({ directSites: [{ workspace: "acme", repo: "taken" }] });
    stack.sandbox.createUser("reader", "Rita Reader");
    stack.sandbox.createUser("stranger", "Sam Stranger");
    site = await stack.repo("acme", "site");
    stack.sandbox.setRepoPermission("acme", "site", "reader", "read");
    await stack.sandbox.installForgeApp({ manifestPath: (await import("./harness.ts")).MANIFEST, workspace: "acme", remoteBaseUrl: stack.hoist.url });
  });
  afterAll(async () => stack?.close());

  it("deploys a git push delivered as Forge's push event, live with a build status in Bitbucket", async () => {
    commits.push(await site.pushFiles({ "index.html": "<h1>v1 through Forge</h1>" }, "v1"));
    await stack.settle();
    commits.push(await site.pushFiles({ "index.html": "<h1>v2 through Forge</h1>" }, "v2"));
    await stack.settle();
    await serves("v2 through Forge");
    const deploys = await deploysOf("acme/site");
    expect(deploys.map((d) => [d.commit, d.status])).toEqual([
      [commits[1], "succeeded"],
      [commits[0], "succeeded"],
    ]);
    expect(deploys[0]!.owner).toMatch(/^forge:ari:cloud:ecosystem::installation\//);
    expect(await stack.sandbox.statuses("acme", "site", commits[1]!)).toContainEqual(expect.objectContaining({ state: "SUCCESSFUL" }));
    expect(stack.sandbox.forgeDeliveries().filter((d) => d.eventType === "avi:bitbucket:push:repository").every((d) => d.status === 200)).toBe(true);
  });

  it("deploys a push Forge delivers twice only once", async () => {
    stack.sandbox.faults = { ...stack.sandbox.faults, forge: { ...stack.sandbox.faults.forge, duplicateEvents: true } };
    try {
      commits.push(await site.pushFiles({ "index.html": "<h1>v3 delivered twice</h1>" }, "v3"));
      await stack.settle();
    } finally {
      stack.sandbox.faults = { ...stack.sandbox.faults, forge: { ...stack.sandbox.faults.forge, duplicateEvents: false } };
    }
    const pushes = stack.sandbox.forgeDeliveries().filter((d) => d.after === commits[2] && d.status === 200);
    expect(pushes.length).toBeGreaterThanOrEqual(2);
    expect((await deploysOf("acme/site")).filter((d) => d.commit === commits[2])).toHaveLength(1);
    await serves("v3 delivered twice");
  });

  it("refuses forged tokens before reading the event: another app's, expired, unsigned; nothing is recorded", async () => {
    const before = (await deploysOf("acme/site")).length;
    const event = { eventType: "avi:bitbucket:push:repository", workspace: { uuid: "{00000000-0000-4000-8000-000000000000}" }, repository: { uuid: site.uuid }, ref: { type: "branch", name: "main" }, after: commits[0] };
    const tokens = [
      await stack.sandbox.forgeToken({ workspace: "acme", overrides: { aud: "ari:cloud:ecosystem::app/11111111-1111-4111-8111-111111111111" } }),
      await stack.sandbox.forgeToken({ workspace: "acme", overrides: { exp: Math.floor(Date.now() / 1000) - 300, iat: Math.floor(Date.now() / 1000) - 400 } }),
    ];
    const payload = tokens[0]!.split(".")[1];
    const unsigned = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${payload}.`;
    for (const token of [...tokens, unsigned]) {
      const res = await post(pushPath, event, { authorization: `Bearer ${token}` });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("auth.invalid");
    }
    expect((await post(pushPath, event, {})).status).toBe(401);
    await stack.settle();
    expect(await deploysOf("acme/site")).toHaveLength(before);
  });

  it("refuses a valid token of installation A naming a repository of workspace B, and records nothing there", async () => {
    const other = await stack.repo("beta", "secret");
    const commit = await other.pushFiles({ "index.html": "<p>beta's</p>" }, "beta");
    const beta = stack.sandbox.createWorkspace("beta");
    const token = await stack.sandbox.forgeToken({ workspace: "acme" });
    const system = stack.sandbox.forgeProductToken({ workspace: "acme", kind: "system" });
    const res = await post(pushPath, { eventType: "avi:bitbucket:push:repository", workspace: { uuid: beta.uuid }, repository: { uuid: other.uuid }, ref: { type: "branch", name: "main" }, before: null, after: commit, commits: [{ hash: commit }] }, { authorization: `Bearer ${token}`, "x-forge-oauth-system": system });
    expect(res.status).toBe(403);
    // The same repository under A's own workspace UUID: Bitbucket does not find it there.
    const acme = stack.sandbox.createWorkspace("acme");
    const sneaky = await post(pushPath, { eventType: "avi:bitbucket:push:repository", workspace: { uuid: acme.uuid }, repository: { uuid: other.uuid }, ref: { type: "branch", name: "main" }, before: null, after: commit, commits: [{ hash: commit }] }, { authorization: `Bearer ${token}`, "x-forge-oauth-system": system });
    expect(sneaky.status).toBe(200);
    await stack.settle();
    expect(await deploysOf("beta/secret")).toEqual([]);
  });

  it("does not deploy a repository another owner holds, and says so on the settings page", async () => {
    const taken = await stack.repo("acme", "taken");
    await taken.pushFiles({ "index.html": "<p>taken</p>" }, "taken");
    await stack.settle();
    expect(await deploysOf("acme/taken")).toEqual([]);
    const view = await stack.sandbox.forgeInvoke({ workspace: "acme", repo: "taken", path: `/forge/api/repositories/${encodeURIComponent(taken.uuid)}`, method: "GET" });
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ siteId: "acme/taken", connected: false, why: expect.stringMatching(/direct sites file/) });
  });

  it("lets the viewing user see and change only what Bitbucket allows them", async () => {
    const as = (user: string, path: string, method = "GET", body?: unknown) => stack.sandbox.forgeInvoke({ workspace: "acme", repo: "site", user, path, method, body });
    const deploys = (await as("reader", "/forge/api/sites/acme/site/deploys")).body as { deploys: { deployId: string; live: boolean }[] };
    expect(deploys.deploys.length).toBeGreaterThanOrEqual(3);
    const older = deploys.deploys.find((d) => !d.live)!;
    const readOnly = await as("reader", "/forge/api/sites/acme/site/rollback", "POST", { deployId: older.deployId });
    expect([readOnly.status, (readOnly.body as { error: { code: string } }).error.code]).toEqual([403, "auth.read_only"]);
    expect((await as("reader", `/forge/api/repositories/${encodeURIComponent(site.uuid)}/connection`, "PUT", { connected: false })).status).toBe(403);
    const hidden = await as("stranger", "/forge/api/sites/acme/site/deploys");
    expect(hidden.status).toBe(404);
    expect(JSON.stringify(hidden.body)).not.toContain(commits[0]!);
    const live = deploys.deploys.find((d) => d.live)!;
    const rolled = await as("sandbox-user", "/forge/api/sites/acme/site/rollback", "POST", { deployId: older.deployId, expectedLiveDeployId: live.deployId });
    expect(rolled.status).toBe(200);
    await waitFor(async () => !(await stack.site("acme", "site")).includes("v3 delivered twice"));
  });

  it("a push after an admin disconnects the repository deploys nothing; reconnecting deploys again", async () => {
    const path = `/forge/api/repositories/${encodeURIComponent(site.uuid)}/connection`;
    const off = await stack.sandbox.forgeInvoke({ workspace: "acme", repo: "site", path, method: "PUT", body: { connected: false } });
    expect([off.status, off.body]).toEqual([200, { connected: false }]);
    const skipped = await site.pushFiles({ "index.html": "<h1>while disconnected</h1>" }, "while disconnected");
    await stack.settle();
    expect((await deploysOf("acme/site")).some((d) => d.commit === skipped)).toBe(false);
    const on = await stack.sandbox.forgeInvoke({ workspace: "acme", repo: "site", path, method: "PUT", body: { connected: true } });
    expect([on.status, on.body]).toEqual([200, { connected: true }]);
    const back = await site.pushFiles({ "index.html": "<h1>connected again</h1>" }, "connected again");
    await stack.settle();
    await serves("connected again");
    expect((await deploysOf("acme/site"))[0]).toMatchObject({ commit: back, status: "succeeded" });
  });

  it("records a push whose Forge token Bitbucket refuses as failed with fetch.unauthorized", async () => {
    stack.sandbox.faults = { ...stack.sandbox.faults, forge: { ...stack.sandbox.faults.forge, rejectProductTokens: true } };
    let commit: string;
    try {
      commit = await site.pushFiles({ "index.html": "<h1>refused</h1>" }, "refused");
      await stack.settle();
    } finally {
      stack.sandbox.faults = { ...stack.sandbox.faults, forge: { ...stack.sandbox.faults.forge, rejectProductTokens: false } };
    }
    expect((await deploysOf("acme/site"))[0]).toMatchObject({ commit, status: "failed", reason: "fetch.unauthorized" });
    expect(await stack.site("acme", "site")).toContain("connected again");
  });

  it("after the app is uninstalled, a push deploys nothing and the panel says the app is uninstalled", async () => {
    const token = await stack.sandbox.forgeToken({ workspace: "acme", user: "sandbox-user", repo: "site", moduleKey: "hoist-deploys" });
    const user = stack.sandbox.forgeProductToken({ workspace: "acme", kind: "user", user: "sandbox-user" });
    const open = await fetch(`${stack.hoist.url}/forge/api/sites/acme/site`, { headers: { authorization: `Bearer ${token}`, "x-forge-oauth-user": user } });
    expect(open.status).toBe(200);
    await stack.sandbox.uninstallForgeApp({ workspace: "acme" });
    const commit = await site.pushFiles({ "index.html": "<h1>after uninstall</h1>" }, "after uninstall");
    await stack.settle();
    // A push event signed before the uninstall and delivered after it is answered, and deploys nothing.
    const late = await post(pushPath, { eventType: "avi:bitbucket:push:repository", workspace: { uuid: stack.sandbox.createWorkspace("acme").uuid }, repository: { uuid: site.uuid }, ref: { type: "branch", name: "main" }, before: null, after: commit, commits: [{ hash: commit }] }, { authorization: `Bearer ${token}`, "x-forge-oauth-system": "revoked" });
    expect(late.status).toBe(200);
    await stack.settle();
    expect((await deploysOf("acme/site")).some((d) => d.commit === commit)).toBe(false);
    const closed = await fetch(`${stack.hoist.url}/forge/api/sites/acme/site`, { headers: { authorization: `Bearer ${token}`, "x-forge-oauth-user": user } });
    expect([closed.status, ((await closed.json()) as { error: { code: string } }).error.code]).toEqual([401, "auth.inactive"]);
  });
});
