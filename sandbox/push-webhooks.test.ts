import * as jwt from "atlassian-jwt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "./server.ts";
import { type FakeAddon, commitFiles, git, removeDir, startFakeAddon, tempDir, workTree } from "./test-support.ts";

describe("git push → repo:push webhook", () => {
  let sandbox: Sandbox;
  let addon: FakeAddon;
  let dir: string;
  let remote: string;

  beforeEach(async () => {
    dir = await tempDir("sandbox-push-");
    sandbox = await startSandbox({ dataDir: `${dir}/data` });
    addon = await startFakeAddon({ pathPrefix: "/app" });
    remote = (await sandbox.createRepo("acme", "site")).cloneUrl;
    await sandbox.installAddon(addon.descriptorUrl, { workspace: "acme" });
  });
  afterEach(async () => {
    await sandbox.close();
    await addon.close();
    await removeDir(dir);
  });

  it("accepts an anonymous push and delivers a signed repo:push with the pushed commit", async () => {
    const tree = await workTree(`${dir}/work`);
    const hash = await commitFiles(tree, { "index.html": "<h1>hi</h1>" }, "first page");

    await git(tree, "push", "--quiet", remote, "main");
    await sandbox.settled();

    expect(addon.webhooks).toHaveLength(1);
    const [hook] = addon.webhooks;
    expect(hook?.headers["x-event-key"]).toBe("repo:push");
    expect(hook?.headers["x-attempt-number"]).toBe("1");
    expect(hook?.headers["user-agent"]).toBe("Bitbucket-Webhooks/2.0");
    expect(hook?.headers["x-request-uuid"]).toMatch(/^[0-9a-f-]{36}$/);
    const change = hook?.body.push.changes[0];
    expect(change).toMatchObject({ old: null, created: true, closed: false, forced: false, truncated: false });
    expect(change.new).toMatchObject({ type: "branch", name: "main", target: { type: "commit", hash } });
    expect(change.new.target.author.raw).toBe("Ada Lovelace <ada@example.com>");
    expect(change.new.target.message.trim()).toBe("first page");
    expect(change.commits.map((c: { hash: string }) => c.hash)).toEqual([hash]);
    expect(hook?.body.repository).toMatchObject({
      type: "repository",
      full_name: "acme/site",
      name: "site",
      mainbranch: { name: "main" },
      workspace: { slug: "acme" },
    });
    expect(hook?.body.repository.uuid).toMatch(/^\{[0-9a-f-]{36}\}$/);

    const secret = addon.installs[0]?.body.sharedSecret;
    const token = String(hook?.headers.authorization).replace(/^JWT /, "");
    const claims = jwt.decodeSymmetric(token, secret, jwt.SymmetricAlgorithm.HS256);
    expect(claims.iss).toBe(addon.installs[0]?.body.clientKey);
    expect(claims.exp - claims.iat).toBe(180);
    // As ACE checks it: the path relative to the add-on's baseUrl (which has a path here).
    const expected = jwt.createQueryStringHash(jwt.fromMethodAndUrl("POST", "/app/webhook"), false, addon.baseUrl);
    expect(claims.qsh).toBe(expected);
    expect(claims.qsh).toBe(jwt.createQueryStringHash(jwt.fromMethodAndUrl("POST", "/webhook")));
  });

  it("puts every changed ref of one push in one payload: new branch, tag, deleted branch", async () => {
    const tree = await workTree(`${dir}/work`);
    const first = await commitFiles(tree, { "a.txt": "a" }, "a");
    await git(tree, "branch", "old-feature");
    await git(tree, "push", "--quiet", remote, "main", "old-feature");
    await sandbox.settled();
    addon.webhooks.length = 0;

    const second = await commitFiles(tree, { "b.txt": "b" }, "b");
    await git(tree, "tag", "-a", "v1", "-m", "release 1");
    await git(tree, "push", "--quiet", remote, "main", "refs/tags/v1", ":old-feature");
    await sandbox.settled();

    expect(addon.webhooks).toHaveLength(1);
    const changes = addon.webhooks[0]?.body.push.changes;
    const byName = (name: string) => changes.find((c: { new?: { name: string }; old?: { name: string } }) => (c.new ?? c.old)?.name === name);
    expect(changes).toHaveLength(3);
    expect(byName("main")).toMatchObject({ old: { target: { hash: first } }, new: { target: { hash: second } }, created: false });
    expect(byName("v1")).toMatchObject({ old: null, created: true, new: { type: "tag", target: { hash: second } } });
    expect(byName("old-feature")).toMatchObject({ new: null, closed: true, old: { type: "branch", target: { hash: first } } });
  });

  it("marks a force push as forced", async () => {
    const tree = await workTree(`${dir}/work`);
    await commitFiles(tree, { "a.txt": "a" }, "a");
    await commitFiles(tree, { "a.txt": "b" }, "b");
    await git(tree, "push", "--quiet", remote, "main");
    await git(tree, "reset", "--quiet", "--hard", "HEAD~1");
    await commitFiles(tree, { "c.txt": "c" }, "c");
    await git(tree, "push", "--quiet", "--force", remote, "main");
    await sandbox.settled();

    expect(addon.webhooks[1]?.body.push.changes[0].forced).toBe(true);
  });

  it("clones back what was pushed", async () => {
    const tree = await workTree(`${dir}/work`);
    const hash = await commitFiles(tree, { "a.txt": "a" }, "a");
    await git(tree, "push", "--quiet", remote, "main");

    await git(dir, "clone", "--quiet", remote, `${dir}/clone`);
    expect(await git(`${dir}/clone`, "rev-parse", "HEAD")).toBe(hash);
  });

  it("serves a fetch whose request git gzips (many wants)", async () => {
    const tree = await workTree(`${dir}/work`);
    const branches: string[] = [];
    for (let i = 0; i < 40; i++) {
      await commitFiles(tree, { [`f${i}.txt`]: String(i) }, `c${i}`);
      await git(tree, "branch", `topic-${i}`);
      branches.push(`topic-${i}`);
    }
    await git(tree, "push", "--quiet", remote, "main", ...branches);

    await git(dir, "clone", "--quiet", "--mirror", remote, `${dir}/mirror.git`);
    expect((await git(`${dir}/mirror.git`, "branch", "--list")).split("\n")).toHaveLength(41);
  });
});
