import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { siteHost, startStack, type Repo, type Stack } from "./harness.ts";

/** A Bitbucket that misbehaves on the archive download: the deploy fails by name, the site stays, the server keeps serving. */
describe("archive download faults", () => {
  let stack: Stack;
  let repo: Repo;
  beforeAll(async () => {
    stack = await startStack({ stallMs: 1000 });
    await stack.install("acme");
    repo = await stack.repo("acme", "site");
    await repo.pushFiles({ "index.html": "<p>good version</p>", "big.txt": "x".repeat(200_000) }, "good");
    await stack.settle();
  });
  afterAll(async () => stack?.close());

  const cases: [string, Parameters<Stack["sandbox"]["faults"]["archive"] extends infer A ? (a: A) => void : never>[0], string][] = [
    ["a 404", { failStatus: 404 }, "fetch.not_found"],
    ["a 500", { failStatus: 500 }, "fetch.failed"],
    ["a truncated body", { truncateAfterBytes: 100 }, "fetch.failed"],
    ["a body that never ends", { neverEnd: true }, "fetch.stalled"],
  ];
  it("retries a transient failure: two 503s, then the archive — the deploy goes live", async () => {
    stack.sandbox.faults = { archive: { failStatus: 503, failTimes: 2 } };
    try {
      const commit = await repo.pushFiles({ "index.html": "<p>after an outage</p>", "big.txt": "x".repeat(200_000) }, "after an outage");
      await stack.settle();
      const [latest] = (await stack.hoist.hoist.records.list("acme/site", { limit: 1 })).deploys;
      expect(latest).toMatchObject({ commit, status: "succeeded" });
      expect(stack.sandbox.faults.archive.failTimes).toBe(0);
    } finally {
      stack.sandbox.faults = {};
    }
    expect((await stack.site(siteHost(stack, "site--acme"))).body).toContain("after an outage");
    await repo.pushFiles({ "index.html": "<p>good version</p>" }, "good again");
    await stack.settle();
  });

  it("records every accepted push when Bitbucket's API fails: the main branch and a branch stage each end failed, saying why", async () => {
    // Prepare: Bitbucket's REST API answers 503 (reading hoist.json, the branch, statuses), git still works.
    stack.sandbox.faults = { api: { failStatus: 503 } };
    let main: string;
    let feature: string;
    try {
      // Act
      main = await repo.pushFiles({ "index.html": "<p>while the API is down</p>" }, "main during outage");
      await stack.settle();
      feature = await repo.pushFiles({ "index.html": "<p>feature during outage</p>" }, "feature during outage", "feature/outage");
      await stack.settle();
    } finally {
      stack.sandbox.faults = {};
    }
    // Assess: both pushes are in the history, failed, with the reason; the site is unchanged.
    const deploys = (await stack.hoist.hoist.records.list("acme/site", { limit: 5 })).deploys;
    expect(deploys.find((d) => d.commit === main)).toMatchObject({ stage: "production", status: "failed", reason: "fetch.failed", reasonMessage: expect.stringContaining("hoist.json") });
    expect(deploys.find((d) => d.commit === feature)).toMatchObject({ stage: "feature/outage", status: "failed", reason: "fetch.failed" });
    expect((await stack.site(siteHost(stack, "site--acme"))).body).toContain("good version");
  });

  for (const [name, archive, reason] of cases) {
    it(`fails the deploy with ${reason} when Bitbucket answers the archive with ${name}`, async () => {
      stack.sandbox.faults = { archive };
      try {
        const commit = await repo.pushFiles({ "index.html": `<p>broken by ${name}</p>` }, `broken: ${name}`);
        await stack.settle();
        const [latest] = (await stack.hoist.hoist.records.list("acme/site", { limit: 1 })).deploys;
        expect(latest).toMatchObject({ commit, status: "failed", reason });
        // 5xx, resets and stalls are retried before the deploy fails; the message says so.
        if (reason !== "fetch.not_found") expect(latest!.reasonMessage).toContain("tried 3 times");
        const statuses = await stack.sandbox.statuses("acme", "site", commit);
        expect(statuses[0]).toMatchObject({ state: "FAILED" });
        expect(statuses[0]!.description).toContain(reason);
      } finally {
        stack.sandbox.faults = {};
      }
      const page = await stack.site(siteHost(stack, "site--acme"));
      expect(page.status).toBe(200);
      expect(page.body).toContain("good version");
    });
  }
});
