import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, openPanel, siteHost, startStack, type Stack } from "./harness.ts";

describe("push to deploy", () => {
  let stack: Stack;
  let inst: { clientKey: string; sharedSecret: string };
  beforeAll(async () => {
    stack = await startStack();
    inst = await stack.install("acme");
  });
  afterAll(async () => stack?.close());

  it("a git push to main goes live, with build statuses on the commit and the deploy in the panel", async () => {
    const repo = await stack.repo("acme", "site");
    const commit = await repo.pushFiles({ "index.html": "<h1>Hello from acme</h1>", "css/a.css": "body{}" }, "first site");
    await stack.settle();

    const page = await stack.site(siteHost(stack, "site--acme"));
    expect(page.status).toBe(200);
    expect(page.body).toContain("Hello from acme");

    const statuses = await stack.sandbox.statuses("acme", "site", commit);
    expect(statuses.map((s) => s.state)).toEqual(["SUCCESSFUL"]);
    expect(statuses[0]!.url).toContain("site--acme.");

    const panel = await openPanel(stack, inst, "acme", "site");
    expect(panel.status).toBe(200);
    const history = await api(stack, panel.token, "/api/sites/acme/site/deploys");
    expect(history.status).toBe(200);
    expect(history.body.deploys[0]).toMatchObject({ commit, status: "succeeded", branch: "main", author: "Ada Lovelace", message: "first site", live: true });
  });
});
