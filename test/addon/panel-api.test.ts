import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintSessionToken } from "../../server/addon/session-token.ts";
import { api, bitbucketJwt, openPanel, siteHost, siteShows, startStack, type Repo, type Stack } from "./harness.ts";

/** The panel a user opens on the repository page, and what installation B can never do to A's site. */
describe("panel and panel API", () => {
  let stack: Stack;
  let acme: { clientKey: string; sharedSecret: string };
  let evil: { clientKey: string; sharedSecret: string };
  let repo: Repo;
  let token: string;
  const commits: string[] = [];

  beforeAll(async () => {
    stack = await startStack();
    acme = await stack.install("acme");
    evil = await stack.install("evil");
    repo = await stack.repo("acme", "site");
    commits.push(await repo.pushFiles({ "index.html": "<p>one</p>", "a.txt": "a" }, "one"));
    await stack.settle();
    commits.push(await repo.pushFiles({ "index.html": "<p>two</p>", "b.txt": "b" }, "two"));
    await stack.settle();
    token = (await openPanel(stack, acme, "acme", "site")).token;
  });
  afterAll(async () => stack?.close());

  it("serves the built panel with the session token and an escaped context", async () => {
    const panel = await openPanel(stack, acme, "acme", "site");
    expect(panel.status).toBe(200);
    expect(panel.token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const context = /<meta name="hoist-context" content='([^']*)'>/.exec(panel.html)?.[1] ?? "";
    expect(JSON.parse(context.replace(/&quot;/g, '"').replace(/&amp;/g, "&"))).toMatchObject({ workspace: "acme", repo: "site", view: "panel" });
  });

  it("refuses the panel page without Bitbucket's signature", async () => {
    const res = await fetch(`${stack.hoist.url}/panel?repoPath=acme%2Fsite`);
    expect(res.status).toBe(401);
    const tampered = bitbucketJwt({ clientKey: acme.clientKey, secret: acme.sharedSecret, method: "GET", url: `${stack.hoist.url}/panel?repoPath=acme%2Fother`, baseUrl: stack.hoist.url });
    expect((await fetch(`${stack.hoist.url}/panel?repoPath=acme%2Fsite&jwt=${tampered}`)).status).toBe(401);
  });

  it("refuses a signed panel URL padded with parameters past what the qsh could cover", async () => {
    const path = "/panel?repoPath=acme%2Fsite";
    const jwt = bitbucketJwt({ clientKey: acme.clientKey, secret: acme.sharedSecret, method: "GET", url: `${stack.hoist.url}${path}`, baseUrl: stack.hoist.url });
    const padded = await fetch(`${stack.hoist.url}${path}&jwt=${jwt}${"&".repeat(1000)}&apiBase=https%3A%2F%2Fevil.example`);
    expect(padded.status).toBe(401);
    expect(await padded.text()).not.toContain("hoist-token");
  });

  it("lists history newest first, a page at a time, with a fresh token on each answer", async () => {
    const first = await api(stack, token, "/api/sites/acme/site/deploys?limit=1");
    expect(first.status).toBe(200);
    expect(first.fresh).toBeTruthy();
    expect(first.body.deploys.map((d: { commit: string }) => d.commit)).toEqual([commits[1]]);
    expect(first.body.deploys[0].live).toBe(true);
    const second = await api(stack, first.fresh!, `/api/sites/acme/site/deploys?limit=1&cursor=${first.body.nextCursor}`);
    expect(second.body.deploys.map((d: { commit: string; live: boolean }) => [d.commit, d.live])).toEqual([[commits[0], false]]);
  });

  it("shows one deploy with its log and the files it changed", async () => {
    const { body } = await api(stack, token, "/api/sites/acme/site/deploys?limit=1");
    const detail = await api(stack, token, `/api/sites/acme/site/deploys/${body.deploys[0].deployId}`);
    expect(detail.status).toBe(200);
    expect(detail.body.deploy.log.length).toBeGreaterThan(0);
    expect(detail.body.deploy.changes).toEqual([
      { path: "b.txt", change: "added", size: 1 },
      { path: "index.html", change: "changed", size: 10 },
    ]);
  });

  it("rolls back to an earlier deploy, and answers 409 to a rollback based on a stale view", async () => {
    const { body } = await api(stack, token, "/api/sites/acme/site/deploys");
    const [newest, older] = body.deploys;
    const stale = await api(stack, token, "/api/sites/acme/site/rollback", { method: "POST", body: { deployId: older.deployId, expectedLiveDeployId: older.deployId } });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe("rollback.conflict");
    const ok = await api(stack, token, "/api/sites/acme/site/rollback", { method: "POST", body: { deployId: older.deployId, expectedLiveDeployId: newest.deployId } });
    expect(ok.status).toBe(200);
    expect(ok.body.site.stages[0].liveDeployId).toBe(older.deployId);
    expect(await siteShows(stack, siteHost(stack, "site--acme"), "one")).toBe(true);
  });

  it("redeploys a commit on request", async () => {
    const res = await api(stack, token, "/api/sites/acme/site/redeploy", { method: "POST", body: { commit: commits[1] } });
    expect(res.status).toBe(202);
    expect(res.body.deploy).toMatchObject({ commit: commits[1], trigger: "redeploy" });
    await stack.settle();
    const detail = await api(stack, token, `/api/sites/acme/site/deploys/${res.body.deploy.deployId}`);
    expect(detail.body.deploy.status).toBe("succeeded");
    expect(await siteShows(stack, siteHost(stack, "site--acme"), "two")).toBe(true);
  });

  it("answers bad input with a JSON error and no stack trace", async () => {
    const bad = await api(stack, token, "/api/sites/acme/site/deploys?limit=100000");
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("request.invalid");
    const missing = await api(stack, token, "/api/sites/acme/site/deploys/01ARZ3NDEKTSV4RRFFQ69G5FAV");
    expect(missing.status).toBe(404);
    const junk = await api(stack, token, "/api/sites/acme/site/rollback", { method: "POST", body: { deployId: "../../etc" } });
    expect(junk.status).toBe(400);
    expect(JSON.stringify(junk.body)).not.toMatch(/at .*\.ts/);
    expect((await api(stack, "garbage", "/api/sites/acme/site")).status).toBe(401);
  });

  it("never lets installation B read, deploy or roll back installation A's site", async () => {
    // B knows its own secret, so it can sign a panel URL naming A's repository: no token for it.
    const refused = await openPanel(stack, evil, "acme", "site");
    expect(refused.status).toBe(403);
    expect(refused.token).toBe("");
    // Even a session token B mints itself for A's repository reads nothing of A's site.
    const forged = mintSessionToken({ addonKey: "hoist-deploys", clientKey: evil.clientKey, sharedSecret: evil.sharedSecret, sub: "b", scope: { workspace: "acme", repo: "site" }, ttlSeconds: 600 });
    const { body } = await api(stack, token, "/api/sites/acme/site/deploys");
    const target = body.deploys.at(-1).deployId;
    for (const [path, method, payload] of [
      ["/api/sites/acme/site", "GET", undefined],
      ["/api/sites/acme/site/deploys", "GET", undefined],
      [`/api/sites/acme/site/deploys/${target}`, "GET", undefined],
      ["/api/sites/acme/site/rollback", "POST", { deployId: target }],
      ["/api/sites/acme/site/redeploy", "POST", { commit: commits[0] }],
    ] as const) {
      const res = await api(stack, forged, path, { method, body: payload });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(JSON.stringify(res.body)).not.toContain(commits[0]!);
    }
    // B's own panel token names B's repository; A's API refuses it.
    const own = (await openPanel(stack, evil, "evil", "www")).token;
    expect((await api(stack, own, "/api/sites/acme/site/deploys")).status).toBe(403);
    // A push signed by B naming A's repository deploys nothing there.
    const before = (await stack.hoist.hoist.records.list("acme/site")).deploys.length;
    const hook = bitbucketJwt({ clientKey: evil.clientKey, secret: evil.sharedSecret, method: "POST", url: `${stack.hoist.url}/webhooks/repo-push`, baseUrl: stack.hoist.url });
    await fetch(`${stack.hoist.url}/webhooks/repo-push`, {
      method: "POST",
      headers: { authorization: `JWT ${hook}`, "content-type": "application/json", "x-event-key": "repo:push", "x-request-uuid": crypto.randomUUID() },
      body: JSON.stringify({ repository: { full_name: "acme/site", mainbranch: { name: "main" } }, push: { changes: [{ new: { type: "branch", name: "main", target: { hash: commits[0] } } }] } }),
    });
    await stack.settle();
    expect((await stack.hoist.hoist.records.list("acme/site")).deploys.length).toBe(before);
  });

  it("a redeploy follows the push rules: invalid settings at the commit are recorded as a failed deploy, a branch without a stage is refused", async () => {
    // Prepare: a push whose hoist.json is broken fails, and the site keeps serving "two".
    const broken = await repo.pushFiles({ "hoist.json": "{not json", "index.html": "<p>broken</p>" }, "broken settings");
    await stack.settle();
    // Act: redeploy it from the panel.
    const res = await api(stack, token, "/api/sites/acme/site/redeploy", { method: "POST", body: { commit: broken } });
    // Assess: the history shows why, and the live site did not change.
    expect(res.status).toBe(202);
    expect(res.body.deploy).toMatchObject({ commit: broken, trigger: "redeploy", status: "failed", reason: "config.invalid" });
    expect(res.body.deploy.reasonMessage).toContain("hoist.json");
    expect(await siteShows(stack, siteHost(stack, "site--acme"), "two")).toBe(true);
    const noStage = await api(stack, token, "/api/sites/acme/site/redeploy", { method: "POST", body: { commit: commits[1], branch: "feature/x" } });
    expect(noStage.status).toBe(400);
    expect(noStage.body.error).toMatchObject({ code: "deploy.branch_not_deployed", message: expect.stringContaining("branches") });
  });
});
