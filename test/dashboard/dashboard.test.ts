import { createHmac } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../addon/harness.ts";
import { requestAsHost } from "../support/http.ts";
import { Browser, startDashStack, type DashStack } from "./harness.ts";

/**
 * Hoist without Connect: sign in with Bitbucket, connect a repository, push, watch it go live,
 * roll back, disconnect — and every boundary: Bitbucket decides who sees and changes what.
 */
describe("the dashboard", () => {
  let stack: DashStack;
  let admin: Browser;
  const commits: string[] = [];

  beforeAll(async () => {
    stack = await startDashStack();
    stack.sandbox.createUser("reader", "Rita Reader");
    stack.sandbox.createUser("stranger", "Sam Stranger");
    const repo = await stack.repo("acme", "site");
    stack.sandbox.setRepoPermission("acme", "site", "reader", "read");
    commits.push(await repo.pushFiles({ "index.html": "<h1>before connecting</h1>" }, "before"));
    admin = await stack.signIn("sandbox-user");
  });
  afterAll(async () => stack?.close());

  const siteBody = async () => (await requestAsHost({ port: stack.hoist.listening.port, host: `site--acme.${stack.hoist.config.sitesDomain}`, path: "/" })).body.toString();

  it("signs in through Bitbucket's consent page with a session cookie only Hoist's own host gets", async () => {
    const me = (await admin.get(`${admin.origin}/dashboard/api/me`)).json();
    expect(me.user).toMatchObject({ nickname: "sandbox-user" });
    expect(me.csrf).toMatch(/^[\w-]{20,}$/);
    const fresh = new Browser(admin.origin);
    const start = await fresh.get(`${admin.origin}/auth/bitbucket`);
    const cookie = start.headers.getSetCookie().join("\n");
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Domain=/i);
  });

  it("refuses a callback whose state this browser was not given (login CSRF), and starts no session", async () => {
    const victim = new Browser(admin.origin);
    const res = await victim.get(`${admin.origin}/auth/bitbucket/callback?code=stolen&state=forged`);
    expect(res.status).toBe(400);
    expect((await victim.get(`${admin.origin}/dashboard/api/me`)).status).toBe(401);
  });

  it("connects a repository the admin administers: a signed webhook in Bitbucket, and the next push goes live", async () => {
    const choices = (await admin.get(`${admin.origin}/dashboard/api/repositories?q=site`)).json().repositories;
    expect(choices).toContainEqual(expect.objectContaining({ siteId: "acme/site", connectable: true }));
    const connected = await admin.change("POST", "/dashboard/api/sites", { workspace: "acme", repo: "site" });
    expect(connected.status).toBe(201);
    expect(stack.sandbox.repoWebhooks("acme", "site")).toEqual([expect.objectContaining({ url: `${admin.origin}/hooks/bitbucket/acme/site`, secretSet: true, events: ["repo:push"] })]);
    const repo = await stack.repo("acme", "site");
    commits.push(await repo.pushFiles({ "index.html": "<h1>v1 from the dashboard</h1>" }, "v1"));
    await stack.settle();
    commits.push(await repo.pushFiles({ "index.html": "<h1>v2 from the dashboard</h1>" }, "v2"));
    await stack.settle();
    expect(await siteBody()).toContain("v2 from the dashboard");
    const sites = (await admin.get(`${admin.origin}/dashboard/api/sites`)).json().sites;
    expect(sites).toContainEqual(expect.objectContaining({ siteId: "acme/site", source: "dashboard", connected: true, latest: expect.objectContaining({ status: "succeeded", commit: commits[2] }) }));
  });

  it("lists the repositories the admin administers 50 a page, in name order, searchable", async () => {
    stack.sandbox.createWorkspace("many");
    stack.sandbox.createUser("owner", "Olive Owner");
    for (let i = 0; i < 53; i++) {
      const slug = `r${String(i).padStart(2, "0")}`;
      await stack.sandbox.createRepo("many", slug);
      stack.sandbox.setRepoPermission("many", slug, "owner", "admin");
    }
    const owner = await stack.signIn("owner");
    const page = async (query: string) => (await owner.get(`${owner.origin}/dashboard/api/repositories?${query}`)).json();
    const first = await page("q=many/");
    expect(first.repositories).toHaveLength(50);
    expect(first.repositories[0].siteId).toBe("many/r00");
    expect(first.next).toBe("many/r49");
    const second = await page(`q=many/&after=${encodeURIComponent(first.next)}`);
    expect(second.repositories.map((r: { siteId: string }) => r.siteId)).toEqual(["many/r50", "many/r51", "many/r52"]);
    expect(second.next).toBeUndefined();
    expect((await page("q=many/r5")).repositories.map((r: { siteId: string }) => r.siteId)).toEqual(["many/r50", "many/r51", "many/r52"]);
  });

  it("rolls back from the dashboard with the CSRF token, and refuses the same change without it or from another origin", async () => {
    const deploys = (await admin.get(`${admin.origin}/dashboard/api/sites/acme/site/deploys`)).json().deploys;
    const [live, older] = deploys;
    expect((await admin.change("POST", "/dashboard/api/sites/acme/site/rollback", { deployId: older.deployId }, { csrf: null })).status).toBe(403);
    expect((await admin.change("POST", "/dashboard/api/sites/acme/site/rollback", { deployId: older.deployId }, { origin: "http://site--acme.localhost" })).status).toBe(403);
    expect(await siteBody()).toContain("v2");
    const ok = await admin.change("POST", "/dashboard/api/sites/acme/site/rollback", { deployId: older.deployId, expectedLiveDeployId: live.deployId });
    expect(ok.status).toBe(200);
    // The gateway reads a stage's pointer again within a second.
    await waitFor(async () => (await siteBody()).includes("v1 from the dashboard"));
  });

  it("refuses connect, redeploy and disconnect without the CSRF token: nothing changes in Bitbucket or Hoist", async () => {
    const deploysBefore = (await admin.get(`${admin.origin}/dashboard/api/sites/acme/site/deploys`)).json().deploys.length;
    const hooksBefore = stack.sandbox.repoWebhooks("acme", "site");
    const attempts = [
      await admin.change("POST", "/dashboard/api/sites", { workspace: "acme", repo: "site" }, { csrf: null }),
      await admin.change("POST", "/dashboard/api/sites/acme/site/redeploy", { commit: commits[1] }, { csrf: "not-the-token" }),
      await admin.change("DELETE", "/dashboard/api/sites/acme/site", undefined, { csrf: null }),
    ];
    expect(attempts.map((r) => r.status)).toEqual([403, 403, 403]);
    await stack.settle();
    expect(stack.sandbox.repoWebhooks("acme", "site")).toEqual(hooksBefore);
    expect((await admin.get(`${admin.origin}/dashboard/api/sites/acme/site/deploys`)).json().deploys).toHaveLength(deploysBefore);
  });

  it("lets a user with read see the site but not change it, and a user without access see nothing", async () => {
    const reader = await stack.signIn("reader");
    expect((await reader.get(`${reader.origin}/dashboard/api/sites`)).json().sites.map((s: { siteId: string }) => s.siteId)).toEqual(["acme/site"]);
    expect((await reader.get(`${reader.origin}/dashboard/api/sites/acme/site/deploys`)).status).toBe(200);
    const deployId = (await reader.get(`${reader.origin}/dashboard/api/sites/acme/site/deploys`)).json().deploys[0].deployId;
    const rollback = await reader.change("POST", "/dashboard/api/sites/acme/site/rollback", { deployId });
    expect([rollback.status, rollback.json().error.code]).toEqual([403, "auth.read_only"]);
    expect((await reader.change("POST", "/dashboard/api/sites/acme/site/redeploy", { commit: commits[1] })).status).toBe(403);
    expect((await reader.change("DELETE", "/dashboard/api/sites/acme/site")).status).toBe(403);
    const stranger = await stack.signIn("stranger");
    expect((await stranger.get(`${stranger.origin}/dashboard/api/sites`)).json().sites).toEqual([]);
    const hidden = await stranger.get(`${stranger.origin}/dashboard/api/sites/acme/site/deploys`);
    expect(hidden.status).toBe(404);
    expect(hidden.body).not.toContain(commits[1]!);
  });

  it("answers 401 once Bitbucket revokes the user's grant", async () => {
    stack.sandbox.createUser("leaver", "Lee Leaver");
    stack.sandbox.setRepoPermission("acme", "site", "leaver", "read");
    const leaver = await stack.signIn("leaver");
    stack.sandbox.revokeUserGrants("leaver");
    const res = await leaver.get(`${leaver.origin}/dashboard/api/sites`);
    expect([res.status, res.json().error.code]).toEqual([401, "auth.signed_out"]);
  });

  it("a site whose connecting user Bitbucket stops trusting needs attention; its push fails by name, and an admin can reconnect it", async () => {
    // Prepare: maint connects acme/other with their own sign-in (no access token), then loses their grant.
    stack.sandbox.createUser("maint", "Mo Maintainer");
    const other = await stack.repo("acme", "other");
    stack.sandbox.setRepoPermission("acme", "other", "maint", "admin");
    const maint = await stack.signIn("maint");
    expect((await maint.change("POST", "/dashboard/api/sites", { workspace: "acme", repo: "other" })).status).toBe(201);
    stack.sandbox.revokeUserGrants("maint");
    // Act
    const commit = await other.pushFiles({ "index.html": "<p>other</p>" }, "other");
    await stack.settle();
    // Assess
    const [deploy] = (await admin.get(`${admin.origin}/dashboard/api/sites/acme/other/deploys`)).json().deploys;
    expect(deploy).toMatchObject({ commit, status: "failed", reason: "fetch.unauthorized" });
    stack.sandbox.createUser("boss", "Bo Boss");
    stack.sandbox.setRepoPermission("acme", "other", "boss", "admin");
    const boss = await stack.signIn("boss");
    const summary = (await boss.get(`${boss.origin}/dashboard/api/sites`)).json().sites.find((s: { siteId: string }) => s.siteId === "acme/other");
    expect(summary.attention).toMatch(/Bitbucket/);
    expect((await boss.change("POST", "/dashboard/api/sites", { workspace: "acme", repo: "other" })).status).toBe(201);
    expect(stack.sandbox.repoWebhooks("acme", "other")).toHaveLength(1);
  });

  it("keeps every boundary once Bitbucket retires the cross-workspace permissions listing (410): it asks each workspace by role", async () => {
    stack.sandbox.createUser("rory", "Rory Read");
    stack.sandbox.createUser("wanda", "Wanda Write");
    stack.sandbox.createUser("nell", "Nell Nobody");
    stack.sandbox.setRepoPermission("acme", "site", "rory", "read");
    stack.sandbox.setRepoPermission("acme", "site", "wanda", "write");
    stack.sandbox.faults = { ...stack.sandbox.faults, api: { crossWorkspaceGone: true } };
    try {
      const [rory, wanda, nell] = [await stack.signIn("rory"), await stack.signIn("wanda"), await stack.signIn("nell")];
      const siteIds = async (b: Browser) => (await b.get(`${b.origin}/dashboard/api/sites`)).json().sites.map((s: { siteId: string }) => s.siteId);
      expect(await siteIds(rory)).toEqual(["acme/site"]);
      expect(await siteIds(wanda)).toEqual(["acme/site"]);
      expect(await siteIds(nell)).toEqual([]);
      const deploys: { deployId: string; live: boolean; status: string }[] = (await rory.get(`${rory.origin}/dashboard/api/sites/acme/site/deploys`)).json().deploys;
      const live = deploys.find((d) => d.live)!;
      const notLive = deploys.find((d) => !d.live && d.status === "succeeded")!;
      // Read cannot roll back; write gets past the permission check (and meets the stale-page guard, which changes nothing).
      const readOnly = await rory.change("POST", "/dashboard/api/sites/acme/site/rollback", { deployId: live.deployId });
      expect([readOnly.status, readOnly.json().error.code]).toEqual([403, "auth.read_only"]);
      const stale = await wanda.change("POST", "/dashboard/api/sites/acme/site/rollback", { deployId: live.deployId, expectedLiveDeployId: notLive.deployId });
      expect([stale.status, stale.json().error.code]).toEqual([409, "rollback.conflict"]);
      // Write cannot disconnect (admin only); no access at all hides the site.
      expect((await wanda.change("DELETE", "/dashboard/api/sites/acme/site")).status).toBe(403);
      expect(stack.sandbox.repoWebhooks("acme", "site")).toHaveLength(1);
      expect((await nell.get(`${nell.origin}/dashboard/api/sites/acme/site/deploys`)).status).toBe(404);
    } finally {
      stack.sandbox.faults = { ...stack.sandbox.faults, api: {} };
    }
  });

  it("a deployed site never reaches the dashboard API, whatever cookies its visitor has", async () => {
    const asSite = await requestAsHost({ port: stack.hoist.listening.port, host: `site--acme.${stack.hoist.config.sitesDomain}`, path: "/dashboard/api/me", headers: { cookie: [...admin.cookies].map(([k, v]) => `${k.split(" ")[1]}=${v}`).join("; ") } });
    expect(asSite.status).toBe(404);
    expect(asSite.body.toString()).not.toContain("csrf");
  });

  it("disconnects: the webhook is gone from Bitbucket, a push deploys nothing, the live site and history stay", async () => {
    const before = (await admin.get(`${admin.origin}/dashboard/api/sites/acme/site/deploys`)).json().deploys.length;
    // The secret Bitbucket signs this repository's pushes with (the sandbox keeps it in its state file).
    const state = JSON.parse(await readFile(join(stack.dir, "sandbox", "state.json"), "utf8")) as { repoWebhooks: Record<string, { workspace: string; repo: string; secret?: string }> };
    const secret = Object.values(state.repoWebhooks).find((h) => h.workspace === "acme" && h.repo === "site")!.secret!;
    expect((await admin.change("DELETE", "/dashboard/api/sites/acme/site")).status).toBe(204);
    expect(stack.sandbox.repoWebhooks("acme", "site")).toEqual([]);
    const repo = await stack.repo("acme", "site");
    await repo.pushFiles({ "index.html": "<h1>after disconnecting</h1>" }, "after");
    await stack.settle();
    // A delivery signed with the old secret (a replay, or Bitbucket's last retry) is refused and records nothing.
    const body = JSON.stringify({ repository: { full_name: "acme/site" }, push: { changes: [{ new: { type: "branch", name: "main", target: { hash: commits[2] } } }] } });
    const replay = await fetch(`${admin.origin}/hooks/bitbucket/acme/site`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-event-key": "repo:push", "x-request-uuid": crypto.randomUUID(), "x-hub-signature": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}` },
      body,
    });
    expect(replay.status).toBe(401);
    await stack.settle();
    expect((await admin.get(`${admin.origin}/dashboard/api/sites/acme/site/deploys`)).json().deploys).toHaveLength(before);
    expect(await siteBody()).toContain("v1 from the dashboard");
  });
});
