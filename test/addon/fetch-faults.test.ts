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
  for (const [name, archive, reason] of cases) {
    it(`fails the deploy with ${reason} when Bitbucket answers the archive with ${name}`, async () => {
      stack.sandbox.faults = { archive };
      try {
        const commit = await repo.pushFiles({ "index.html": `<p>broken by ${name}</p>` }, `broken: ${name}`);
        await stack.settle();
        const [latest] = (await stack.hoist.hoist.records.list("acme/site", { limit: 1 })).deploys;
        expect(latest).toMatchObject({ commit, status: "failed", reason });
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
