import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { monotonicFactory } from "ulid";
import { PRODUCTION, stageHostLabel } from "../../core/site.ts";
import { stagingKey } from "../../core/staging.ts";
import { pushUnseen, siteHost, siteShows, startStack, type Repo, type Stack } from "./harness.ts";

/**
 * The newest commit wins, whatever order Hoist wrote its records in: a webhook carrying several
 * branches is handled change by change, so a later push's record can be older than an earlier
 * push's. The queue runs the branch's tip, and publishing follows dispatch, not record ids.
 */
describe("order of deploys on a stage", () => {
  let stack: Stack;
  let repo: Repo;
  let owner: string;
  const ref = { workspace: "acme", repo: "order" };
  const host = stageHostLabel(ref);
  const nextId = monotonicFactory();

  beforeAll(async () => {
    stack = await startStack();
    owner = (await stack.install("acme")).clientKey;
    repo = await stack.repo("acme", "order");
    await repo.pushFiles({ "index.html": "<p>first</p>" }, "first");
    await stack.settle();
  });
  afterAll(async () => stack?.close());

  const record = (deployId: string, commit: string) =>
    stack.hoist.hoist.records.createQueued({ siteId: "acme/order", deployId, owner, stage: PRODUCTION, branch: "main", commit, trigger: "push", stagingKey: stagingKey(ref, deployId) });

  it("runs the branch's tip even when an older commit's record is newer, and skips the older one", async () => {
    // Prepare: the tip's record was written first; the older commit's record after it.
    const older = await pushUnseen(stack, repo, "older");
    const tip = await pushUnseen(stack, repo, "tip");
    const tipId = nextId();
    const olderId = nextId();
    await record(tipId, tip);
    await record(olderId, older);
    // Act
    await stack.hoist.hoist.queue.pump("acme/order", PRODUCTION);
    await stack.settle();
    // Assess
    const { records } = stack.hoist.hoist;
    expect(await records.get("acme/order", tipId)).toMatchObject({ status: "succeeded" });
    expect(await records.get("acme/order", olderId)).toMatchObject({ status: "superseded" });
    expect(await siteShows(stack, siteHost(stack, host), "tip")).toBe(true);
    expect((await stack.sandbox.statuses("acme", "order", older)).map((s) => s.state)).toEqual(["STOPPED"]);
  });

  it("publishes a newer commit even when a deploy with a newer record id is live", async () => {
    // Prepare: what is live was published under an id newer than the next push's record.
    const next = await pushUnseen(stack, repo, "next");
    const nextRecord = nextId();
    const live = (await stack.hoist.hoist.sites.get(host))!;
    expect(await stack.hoist.hoist.sites.publish({ host, siteId: "acme/order", stage: PRODUCTION, deployId: nextId(), manifestKey: live.liveManifestKey!, owner })).toBe("published");
    await record(nextRecord, next);
    // Act
    await stack.hoist.hoist.queue.pump("acme/order", PRODUCTION);
    await stack.settle();
    // Assess
    expect(await stack.hoist.hoist.records.get("acme/order", nextRecord)).toMatchObject({ status: "succeeded" });
    expect(await siteShows(stack, siteHost(stack, host), "next")).toBe(true);
  });
});
