import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stageHostLabel } from "../../core/site.ts";
import { siteHost, siteShows, startStack, type Stack } from "./harness.ts";

/** Host names are one-to-one: names that differ only by "_", "." or "--" never share a host, whoever deploys first. */
describe("site host names across workspaces", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
    await stack.install("acme_");
    await stack.install("acme");
  });
  afterAll(async () => stack?.close());

  it("acme_/blog deploying first does not take acme/blog's host: each serves its own files", async () => {
    // Act: the look-alike workspace deploys first, then the real one.
    const lookAlike = await stack.repo("acme_", "blog");
    await lookAlike.pushFiles({ "index.html": "<form>enter your password</form>" }, "look-alike");
    await stack.settle();
    const real = await stack.repo("acme", "blog");
    await real.pushFiles({ "index.html": "<h1>The real acme blog</h1>" }, "real");
    await stack.settle();
    // Assess
    expect(await siteShows(stack, siteHost(stack, "blog--acme"), "The real acme blog")).toBe(true);
    expect(await siteShows(stack, siteHost(stack, stageHostLabel({ workspace: "acme_", repo: "blog" })), "enter your password")).toBe(true);
  });

  it("a repository named staging--web does not pre-claim the staging stage of web", async () => {
    const tricky = await stack.repo("acme", "staging--web");
    await tricky.pushFiles({ "index.html": "<p>not web's staging</p>" }, "tricky");
    await stack.settle();
    const web = await stack.repo("acme", "web");
    await web.pushFiles({ "hoist.json": '{"branches": ["staging"]}', "index.html": "<p>web production</p>" }, "web");
    await stack.settle();
    await web.pushFiles({ "index.html": "<p>web staging</p>" }, "web staging", "staging");
    await stack.settle();
    expect(await siteShows(stack, siteHost(stack, "staging--web--acme"), "web staging")).toBe(true);
    expect(await siteShows(stack, siteHost(stack, stageHostLabel({ workspace: "acme", repo: "staging--web" })), "not web's staging")).toBe(true);
  });
});
