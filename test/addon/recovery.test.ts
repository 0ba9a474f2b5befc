import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ulid } from "ulid";
import { PRODUCTION, stageHostLabel } from "../../core/site.ts";
import { stagingKey } from "../../core/staging.ts";
import { pushUnseen, siteHost, siteShows, startStack, type Repo, type Stack } from "./harness.ts";

/**
 * A Hoist process that dies leaves its stage locked and its deploys unfinished. Any live process's
 * sweep (at start and every 30 s; called directly here) takes such a stage over: nothing stays
 * `running` or INPROGRESS, the lock is released, and the newest queued push runs without waiting
 * for another push. The dead process's leftovers are written with Hoist's own table modules.
 */
describe("deploys of a process that died", () => {
  let stack: Stack;
  let repo: Repo;
  let owner: string;
  const ref = { workspace: "acme", repo: "site" };
  const host = stageHostLabel(ref);

  beforeAll(async () => {
    stack = await startStack();
    owner = (await stack.install("acme")).clientKey;
    repo = await stack.repo("acme", "site");
    await repo.pushFiles({ "index.html": "<p>v1</p>" }, "v1");
    await stack.settle();
  });
  afterAll(async () => stack?.close());

  /** Commits Bitbucket has, whose webhooks never reached Hoist (the process was down). */
  async function queued(commit: string, message: string) {
    const deployId = ulid();
    const { records } = stack.hoist.hoist;
    await records.createQueued({ siteId: "acme/site", deployId, owner, stage: PRODUCTION, branch: "main", commit, message, trigger: "push", stagingKey: stagingKey(ref, deployId) });
    return deployId;
  }

  it("ends a deploy whose deployer died as interrupted, posts FAILED, frees the stage and runs the push queued behind it", async () => {
    // Prepare: v2 was running when the process died (its deployer's lease long past), v3 queued behind it.
    const v2 = await pushUnseen(stack, repo, "v2");
    const v3 = await pushUnseen(stack, repo, "v3");
    const { records, sites, queue } = stack.hoist.hoist;
    const dead = await queued(v2, "v2");
    await records.claim("acme/site", dead, { runId: "dead-run", leaseMs: 0, now: Date.now() - 3_600_000 });
    expect(await sites.acquireStage({ host, siteId: "acme/site", deployId: dead, leaseMs: -1 })).toBe(true);
    const waiting = await queued(v3, "v3");
    // Act: the sweep of a live process.
    await queue.recover();
    await stack.settle();
    // Assess
    expect(await records.get("acme/site", dead)).toMatchObject({ status: "failed", reason: "deploy.interrupted" });
    expect((await stack.sandbox.statuses("acme", "site", v2)).map((s) => s.state)).toEqual(["FAILED"]);
    expect(await records.get("acme/site", waiting)).toMatchObject({ status: "succeeded" });
    expect((await stack.sandbox.statuses("acme", "site", v3)).map((s) => s.state)).toEqual(["SUCCESSFUL"]);
    expect(await siteShows(stack, siteHost(stack, host), "v3")).toBe(true);
    expect((await sites.get(host))?.activeDeployId).toBeUndefined();
  });

  it("dispatches again a deploy whose process died while preparing it", async () => {
    // Prepare: v4 was being downloaded when the process died; the stage is still locked for it.
    const v4 = await pushUnseen(stack, repo, "v4");
    const { records, sites, queue } = stack.hoist.hoist;
    const stuck = await queued(v4, "v4");
    expect(await sites.acquireStage({ host, siteId: "acme/site", deployId: stuck, leaseMs: -1 })).toBe(true);
    // Act
    await queue.recover();
    await stack.settle();
    // Assess
    expect(await records.get("acme/site", stuck)).toMatchObject({ status: "succeeded", redrives: 1 });
    expect(await siteShows(stack, siteHost(stack, host), "v4")).toBe(true);
    expect((await sites.get(host))?.activeDeployId).toBeUndefined();
  });

  it("leaves a stage alone while its holder is alive and renewing the lock", async () => {
    const { sites, queue } = stack.hoist.hoist;
    expect(await sites.acquireStage({ host, siteId: "acme/site", deployId: "01J0000000000000000000LIVE", leaseMs: 60_000 })).toBe(true);
    await queue.recover();
    expect((await sites.get(host))?.activeDeployId).toBe("01J0000000000000000000LIVE");
    await sites.releaseStage(host, "01J0000000000000000000LIVE");
  });
});
