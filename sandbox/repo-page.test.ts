import * as jwt from "atlassian-jwt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "./server.ts";
import { type FakeAddon, accessToken, commitFiles, git, removeDir, startFakeAddon, tempDir, workTree } from "./test-support.ts";

const unescapeHtml = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

describe("repository page", () => {
  let sandbox: Sandbox;
  let addon: FakeAddon;
  let dir: string;
  let hash: string;
  let repoUuid: string;

  beforeEach(async () => {
    dir = await tempDir("sandbox-page-");
    sandbox = await startSandbox({ dataDir: `${dir}/data` });
    addon = await startFakeAddon({ pathPrefix: "/app" });
    const repo = await sandbox.createRepo("acme", "site");
    repoUuid = repo.uuid;
    await sandbox.installAddon(addon.descriptorUrl, { workspace: "acme" });
    const tree = await workTree(`${dir}/work`);
    hash = await commitFiles(tree, { "a.txt": "a" }, "<script>alert(1)</script> & more");
    await git(tree, "push", "--quiet", repo.cloneUrl, "main");
    await sandbox.settled();
  });
  afterEach(async () => {
    await sandbox.close();
    await addon.close();
    await removeDir(dir);
  });

  const page = async (path = "/acme/site") => (await fetch(`${sandbox.url}${path}`)).text();
  const iframeSrc = (html: string) => unescapeHtml(/<iframe[^>]* src="([^"]+)"/.exec(html)?.[1] ?? "");

  it("embeds the web panel with context params and a jwt whose qsh verifies", async () => {
    const src = new URL(iframeSrc(await page()));
    expect(src.pathname).toBe("/app/panel");
    expect(src.searchParams.get("repo")).toBe(repoUuid);
    expect(src.searchParams.get("name")).toBe("acme/site");
    expect(src.searchParams.get("who")).toMatch(/^\{.+\}$/);
    expect(src.searchParams.get("x")).toBe("");
    expect(src.searchParams.get("xdm_e")).toBe(sandbox.url);

    const install = addon.installs[0]?.body;
    const token = src.searchParams.get("jwt") ?? "";
    const claims = jwt.decodeSymmetric(token, install.sharedSecret, jwt.SymmetricAlgorithm.HS256);
    expect(claims.iss).toBe(install.clientKey);
    expect(claims.sub).toEqual(expect.any(String));
    // What ACE computes from the incoming request, relative to its baseUrl.
    const request = jwt.fromMethodAndUrl("GET", `${src.pathname}${src.search}`);
    expect(claims.qsh).toBe(jwt.createQueryStringHash(request, false, addon.baseUrl));
  });

  it("escapes user-controlled text, including inside the iframe URL", async () => {
    const html = await page();
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more");
    expect(/<iframe[^>]* src="([^"]+)"/.exec(html)?.[1]).toContain("&amp;");
  });

  it("shows build statuses next to their commit, linking only to http(s)", async () => {
    const token = await accessToken(sandbox.url, addon);
    const post = (body: object) =>
      fetch(`${sandbox.url}/2.0/repositories/acme/site/commit/${hash}/statuses/build`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    await post({ key: "hoist", state: "SUCCESSFUL", url: "http://site.test/deploy?a=1&b=2", name: "Hoist" });
    await post({ key: "evil", state: "FAILED", url: "javascript:alert(1)", name: "Evil" });
    const html = await page();
    expect(html).toContain('href="http://site.test/deploy?a=1&amp;b=2"');
    expect(html).toContain("Hoist: SUCCESSFUL");
    expect(html).not.toContain("javascript:");
  });

  it("serves the add-on's repository page in an iframe", async () => {
    const overview = await page();
    expect(overview).toContain('href="/acme/site/addon/hoist-test/hoist-page"');
    const src = new URL(iframeSrc(await page("/acme/site/addon/hoist-test/hoist-page")));
    expect(src.pathname).toBe("/app/page");
    expect(src.searchParams.get("repo")).toBe(repoUuid);
  });

  it("leaves repository params empty without the repository scope", async () => {
    addon.descriptor.scopes = ["account"];
    await sandbox.installAddon(addon.descriptorUrl, { workspace: "acme" });
    const src = new URL(iframeSrc(await page()));
    expect(src.searchParams.get("repo")).toBe("");
    expect(src.searchParams.get("who")).not.toBe("");
  });

  it("serves the Connect JS stub", async () => {
    const res = await fetch(`${sandbox.url}/atlassian-connect/all.js`);
    expect(res.headers.get("content-type")).toContain("javascript");
    const js = await res.text();
    expect(js).toContain("window.AP = AP");
    expect(js).toContain("sizeToParent");
  });

  it("answers 404 for an unknown repository", async () => {
    expect((await fetch(`${sandbox.url}/acme/nope`)).status).toBe(404);
  });
});
