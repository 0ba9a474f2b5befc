import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { git, siteHost, siteShows, startStack, waitFor, type Repo, type Stack } from "./harness.ts";

/** Which pushes deploy where (hoist.json / hoist.yml, branch stages, tags, deletions), and the per-stage queue. */
describe("branch stages, site settings and the deploy queue", () => {
  let stack: Stack;
  let repo: Repo;
  const history = async (stage?: string) => (await stack.hoist.hoist.records.list("acme/site", { stage })).deploys;

  beforeAll(async () => {
    stack = await startStack();
    await stack.install("acme");
    repo = await stack.repo("acme", "site");
  });
  afterAll(async () => stack?.close());

  it("deploys the configured folder of main, and an opted-in branch to its own host", async () => {
    await repo.pushFiles({ "hoist.json": JSON.stringify({ directory: "public", branches: ["staging"] }), "public/index.html": "<p>prod</p>", "README.md": "not deployed" }, "config");
    await stack.settle();
    expect((await stack.site(siteHost(stack, "site--acme"))).body).toContain("prod");
    expect((await stack.site(siteHost(stack, "site--acme"), "/README.md")).status).toBe(404);

    await repo.pushFiles({ "public/index.html": "<p>staging build</p>" }, "try on staging", "staging");
    await stack.settle();
    expect(await siteShows(stack, siteHost(stack, "staging--site--acme"), "staging build")).toBe(true);
    expect((await stack.site(siteHost(stack, "site--acme"))).body).toContain("prod");
    expect((await history("staging")).map((d) => d.branch)).toEqual(["staging"]);
  });

  it("ignores branches the site does not deploy, tags and deleted branches", async () => {
    const before = (await history()).length;
    await repo.pushFiles({ "public/index.html": "<p>feature</p>" }, "feature work", "feature-x");
    await git(repo.dir, "tag", "v1");
    await repo.push("refs/tags/v1");
    await repo.push(":staging");
    await stack.settle();
    expect((await history()).length).toBe(before);
  });

  it("fails a deploy whose hoist.yml is hostile, naming the file, and leaves the site as it was", async () => {
    await git(repo.dir, "checkout", "--quiet", "main");
    await git(repo.dir, "rm", "--quiet", "hoist.json");
    const commit = await repo.pushFiles({ "hoist.yml": "directory: !!js/function 'function(){ return process.exit(1) }'\n" }, "hostile config");
    await stack.settle();
    const [latest] = await history(PRODUCTION_STAGE);
    expect(latest).toMatchObject({ commit, status: "failed", reason: "config.invalid" });
    expect(latest!.reasonMessage).toContain("hoist.yml");
    expect((await stack.site(siteHost(stack, "site--acme"))).body).toContain("prod");
  });

  it("runs one deploy per stage at a time: pushes that wait are skipped for the newest", async () => {
    await git(repo.dir, "rm", "--quiet", "hoist.yml");
    // A slow archive keeps the first deploy running while two more pushes arrive.
    stack.sandbox.faults = { archive: { bytesPerSecond: 40_000 } };
    const first = await repo.pushFiles({ "index.html": "<p>first</p>", "noise.bin": randomText(120_000) }, "first");
    await waitFor(async () => (await history()).some((d) => d.commit === first));
    const second = await repo.pushFiles({ "index.html": "<p>second</p>" }, "second");
    await waitFor(async () => (await history()).some((d) => d.commit === second));
    const third = await repo.pushFiles({ "index.html": "<p>third</p>" }, "third");
    await stack.settle();
    stack.sandbox.faults = {};
    const byCommit = new Map((await history()).map((d) => [d.commit, d.status]));
    expect([byCommit.get(first), byCommit.get(second), byCommit.get(third)]).toEqual(["succeeded", "superseded", "succeeded"]);
    expect((await stack.sandbox.statuses("acme", "site", second))[0]?.state).toBe("STOPPED");
    expect((await stack.sandbox.statuses("acme", "site", third))[0]?.state).toBe("SUCCESSFUL");
    expect(await siteShows(stack, siteHost(stack, "site--acme"), "third")).toBe(true);
  });

  it("deploys a push delivered twice (same X-Request-UUID) once", async () => {
    stack.sandbox.faults = { webhooks: { duplicate: true } };
    const commit = await repo.pushFiles({ "index.html": "<p>dup</p>" }, "delivered twice");
    await stack.settle();
    stack.sandbox.faults = {};
    expect(stack.sandbox.deliveries().filter((d) => d.outcome === "delivered").length).toBeGreaterThan(1);
    expect((await history()).filter((d) => d.commit === commit)).toHaveLength(1);
  });
});

const PRODUCTION_STAGE = "production";

function randomText(bytes: number): string {
  let out = "";
  while (out.length < bytes) out += Math.random().toString(36).slice(2);
  return out.slice(0, bytes);
}
