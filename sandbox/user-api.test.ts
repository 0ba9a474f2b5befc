import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "./server.ts";
import { type ConsumerCredentials, commitFiles, git, removeDir, signIn, tempDir, withBearer, workTree } from "./test-support.ts";

const CALLBACK = "http://127.0.0.1:4000/callback";

/**
 * acme/site: alice admin, bob read, carol write. acme/blog: alice read. acme/docs and
 * beta/app: nobody but the default user. dave: nothing at all.
 */
describe("the signed-in user's API: /2.0/user, permissions, workspaces, repositories", () => {
  let sandbox: Sandbox;
  let dir: string;
  let consumer: ConsumerCredentials;
  let tokens: Record<string, string>;

  beforeEach(async () => {
    dir = await tempDir("sandbox-user-api-");
    sandbox = await startSandbox({ dataDir: dir });
    sandbox.createWorkspace("acme", "Acme Corp");
    sandbox.createWorkspace("empty");
    for (const [ws, repo] of [
      ["acme", "site"],
      ["acme", "blog"],
      ["acme", "docs"],
      ["beta", "app"],
    ] as const)
      await sandbox.createRepo(ws, repo);
    for (const nickname of ["alice", "bob", "carol", "dave"]) sandbox.createUser(nickname);
    sandbox.setRepoPermission("acme", "site", "alice", "admin");
    sandbox.setRepoPermission("acme", "blog", "alice", "read");
    sandbox.setRepoPermission("acme", "site", "bob", "read");
    sandbox.setRepoPermission("acme", "site", "carol", "write");
    consumer = sandbox.createOAuthConsumer({ name: "Hoist", callbackUrl: CALLBACK });
    tokens = {};
    for (const nickname of ["sandbox-user", "alice", "bob", "carol", "dave"]) tokens[nickname] = (await signIn(sandbox.url, consumer, nickname)).access_token;
  });
  afterEach(async () => {
    await sandbox.close();
    await removeDir(dir);
  });

  const as = (nickname: string) => withBearer(sandbox.url, tokens[nickname] ?? "");
  const json = async (res: Response) => ({ status: res.status, body: await res.json() });
  const names = (page: { values: { repository: { full_name: string } }[] }) => page.values.map((v) => v.repository.full_name);

  it("GET /2.0/user answers the token's user in Bitbucket's shape", async () => {
    const { status, body } = await json(await as("alice")("/2.0/user"));
    expect(status).toBe(200);
    const alice = sandbox.users().find((u) => u.nickname === "alice");
    expect(body).toMatchObject({
      type: "user",
      uuid: alice?.uuid,
      account_id: alice?.accountId,
      display_name: "alice",
      nickname: "alice",
      links: { html: { href: expect.any(String) }, avatar: { href: expect.stringContaining("/account/alice/avatar") } },
    });
    const avatar = await fetch(body.links.avatar.href);
    expect(avatar.status).toBe(200);
    expect(avatar.headers.get("content-type")).toMatch(/image\/svg\+xml/);
  });

  it("lists users with the default user first, and creates users idempotently", async () => {
    expect(sandbox.users().map((u) => u.nickname)).toEqual(["sandbox-user", "alice", "bob", "carol", "dave"]);
    const again = sandbox.createUser("alice", "Someone Else");
    expect(again.displayName).toBe("alice");
    expect(sandbox.users()).toHaveLength(5);
    expect(() => sandbox.createUser("not a name")).toThrow(/nickname/);
    expect(() => sandbox.setRepoPermission("acme", "site", "sandbox-user", "read")).toThrow(/admin of every repository/);
    expect(() => sandbox.setRepoPermission("acme", "site", "nobody", "read")).toThrow(/no user/);
    expect(() => sandbox.setRepoPermission("acme", "ghost", "alice", "read")).toThrow(/no repository/);
  });

  it("lists every repository the user can read with the permission, filtered by q", async () => {
    const all = await json(await as("alice")("/2.0/user/permissions/repositories"));
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ page: 1, pagelen: 10, size: 2 });
    expect(all.body.values).toEqual([
      expect.objectContaining({
        type: "repository_permission",
        permission: "read",
        repository: expect.objectContaining({ type: "repository", full_name: "acme/blog", name: "blog" }),
      }),
      expect.objectContaining({ type: "repository_permission", permission: "admin", repository: expect.objectContaining({ full_name: "acme/site" }) }),
    ]);
    expect(all.body.values[0].user).toMatchObject({ type: "user", nickname: "alice" });
    expect(all.body.values[0].repository.uuid).toMatch(/^\{[0-9a-f-]{36}\}$/);
    expect(all.body.values[0].repository.links.html.href).toBe(`${sandbox.url}/acme/blog`);

    const q = async (query: string) => json(await as("alice")(`/2.0/user/permissions/repositories?q=${encodeURIComponent(query)}`));
    expect(names((await q('repository.full_name="acme/site"')).body)).toEqual(["acme/site"]);
    expect(names((await q('permission="admin"')).body)).toEqual(["acme/site"]);
    expect(names((await q('permission="write"')).body)).toEqual([]);
    expect(names((await q('permission>="write"')).body)).toEqual(["acme/site"]);
    expect(names((await q('repository.full_name="acme/site" AND permission="admin"')).body)).toEqual(["acme/site"]);
    expect(names((await q('repository.full_name="acme/blog" AND permission="admin"')).body)).toEqual([]);
    expect(names((await q('repository.name~"BL" OR permission="admin"')).body)).toEqual(["acme/blog", "acme/site"]);
    expect(names((await json(await as("carol")(`/2.0/user/permissions/repositories?q=${encodeURIComponent('permission="write"')}`))).body)).toEqual([
      "acme/site",
    ]);

    for (const bad of [
      'nonsense="x"',
      'permission="owner"',
      "permission=",
      'repository.full_name="acme/site" permission="admin"',
      'repository.name>"a"',
      '(permission="read"',
    ]) {
      const res = await q(bad);
      expect(res.status, bad).toBe(400);
      expect(res.body).toMatchObject({ type: "error", error: { message: expect.stringMatching(/^Invalid query/) } });
    }
  });

  it("pages with page and pagelen (at most 100) and links the next page", async () => {
    const first = await json(await as("sandbox-user")("/2.0/user/permissions/repositories?pagelen=3"));
    expect(first.body).toMatchObject({ page: 1, pagelen: 3, size: 4 });
    expect(names(first.body)).toEqual(["acme/blog", "acme/docs", "acme/site"]);
    const next = new URL(first.body.next);
    expect(next.searchParams.get("page")).toBe("2");
    const second = await json(await as("sandbox-user")(`${next.pathname}${next.search}`));
    expect(names(second.body)).toEqual(["beta/app"]);
    expect(second.body.next).toBeUndefined();
    expect((await json(await as("sandbox-user")("/2.0/user/permissions/repositories?pagelen=1000"))).body.pagelen).toBe(100);
  });

  it("answers an empty list to a user with no access", async () => {
    const res = await json(await as("dave")("/2.0/user/permissions/repositories"));
    expect(res.body).toMatchObject({ size: 0, values: [] });
    expect((await json(await as("dave")("/2.0/user/workspaces"))).body.values).toEqual([]);
    expect((await json(await as("dave")("/2.0/repositories/acme"))).body.values).toEqual([]);
  });

  it("lists the workspaces where the user can read something (all of them, as administrator, for the default user)", async () => {
    const alice = await json(await as("alice")("/2.0/user/workspaces"));
    expect(alice.status).toBe(200);
    expect(alice.body.values).toEqual([
      {
        type: "workspace_access",
        administrator: false,
        workspace: expect.objectContaining({ type: "workspace", slug: "acme", name: "Acme Corp", uuid: expect.any(String), links: expect.any(Object) }),
      },
    ]);
    const owner = await json(await as("sandbox-user")("/2.0/user/workspaces"));
    expect(owner.body.values.map((v: { workspace: { slug: string }; administrator: boolean }) => [v.workspace.slug, v.administrator])).toEqual([
      ["acme", true],
      ["beta", true],
      ["empty", true],
    ]);
  });

  it("lists a workspace's repositories the user can read, with name~ filtering", async () => {
    const alice = await json(await as("alice")("/2.0/repositories/acme"));
    expect(alice.status).toBe(200);
    expect(alice.body.values.map((r: { full_name: string }) => r.full_name)).toEqual(["acme/blog", "acme/site"]);
    expect(alice.body.values[0]).toMatchObject({ type: "repository", slug: "blog", mainbranch: { name: "main" }, workspace: { slug: "acme" } });
    const owner = await json(await as("sandbox-user")(`/2.0/repositories/acme?q=${encodeURIComponent('name~"S"')}`));
    expect(owner.body.values.map((r: { slug: string }) => r.slug)).toEqual(["docs", "site"]);
    expect((await as("alice")("/2.0/repositories/ghost")).status).toBe(404);
    expect((await as("alice")(`/2.0/repositories/acme?q=${encodeURIComponent("name~")}`)).status).toBe(400);
    expect((await fetch(`${sandbox.url}/2.0/repositories/acme`)).status).toBe(401);
  });

  it("narrows a workspace's repositories by the user's role: member (read), contributor (write), admin", async () => {
    const slugs = async (nickname: string, role: string) => (await json(await as(nickname)(`/2.0/repositories/acme?role=${role}`))).body.values.map((r: { slug: string }) => r.slug);
    expect(await slugs("alice", "member")).toEqual(["blog", "site"]);
    expect(await slugs("alice", "contributor")).toEqual(["site"]);
    expect(await slugs("alice", "admin")).toEqual(["site"]);
    expect(await slugs("carol", "contributor")).toEqual(["site"]);
    expect(await slugs("carol", "admin")).toEqual([]);
    expect(await slugs("bob", "contributor")).toEqual([]);
    expect((await as("alice")("/2.0/repositories/acme?role=owner-ish")).status).toBe(400);
  });

  it("can retire the cross-workspace permissions listing (410 Gone) while the per-workspace calls keep answering", async () => {
    sandbox.faults = { api: { crossWorkspaceGone: true } };
    expect((await as("alice")("/2.0/user/permissions/repositories")).status).toBe(410);
    expect((await as("alice")("/2.0/user/workspaces")).status).toBe(200);
    expect((await as("alice")("/2.0/repositories/acme?role=member")).status).toBe(200);
  });

  it("the per-workspace permissions endpoint lists only that workspace", async () => {
    const res = await json(await as("sandbox-user")("/2.0/user/workspaces/beta/permissions/repositories"));
    expect(names(res.body)).toEqual(["beta/app"]);
    expect((await as("sandbox-user")("/2.0/user/workspaces/ghost/permissions/repositories")).status).toBe(404);
  });

  it("refuses an access token in the query string with 401 on every /2.0 route", async () => {
    const token = tokens.alice ?? "";
    for (const path of [
      "/2.0/user",
      "/2.0/user/permissions/repositories",
      "/2.0/repositories/acme",
      "/2.0/repositories/acme/site",
      "/2.0/repositories/acme/site/hooks",
    ]) {
      const viaQuery = await fetch(`${sandbox.url}${path}?access_token=${token}`);
      expect(viaQuery.status, path).toBe(401);
      const both = await as("alice")(`${path}?access_token=${token}`);
      expect(both.status, path).toBe(401);
      expect(await both.json()).toMatchObject({ type: "error", error: { message: expect.stringMatching(/query string/) } });
    }
  });

  it("answers 401 without a token or with an unknown one, and 403 when the token lacks the scope", async () => {
    expect((await fetch(`${sandbox.url}/2.0/user`)).status).toBe(401);
    expect((await withBearer(sandbox.url, "made-up")("/2.0/user")).status).toBe(401);
    const narrow = sandbox.createOAuthConsumer({ callbackUrl: CALLBACK, scopes: ["account"] });
    const token = (await signIn(sandbox.url, narrow, "alice")).access_token;
    expect((await withBearer(sandbox.url, token)("/2.0/user")).status).toBe(200);
    const refused = await withBearer(sandbox.url, token)("/2.0/user/permissions/repositories");
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({
      type: "error",
      error: { message: "Your credentials lack one or more required privilege scopes.", detail: { granted: ["account"], required: ["repository"] } },
    });
    expect((await withBearer(sandbox.url, token)("/2.0/repositories/acme/site")).status).toBe(403);
  });

  it("sets permissions and lists users over the admin API", async () => {
    const admin = (method: string, path: string, body?: unknown) =>
      fetch(`${sandbox.url}/_sandbox${path}`, {
        method,
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const created = await admin("POST", "/users", { nickname: "erin", displayName: "Erin" });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ nickname: "erin", displayName: "Erin", uuid: expect.any(String) });
    expect((await admin("PUT", "/repos/acme/docs/permissions/erin", { permission: "write" })).status).toBe(200);
    expect((await admin("PUT", "/repos/acme/docs/permissions/erin", { permission: "owner" })).status).toBe(400);
    expect((await admin("PUT", "/repos/acme/ghost/permissions/erin", { permission: "read" })).status).toBe(404);
    const users = await (await admin("GET", "/users")).json();
    expect(users.map((u: { nickname: string }) => u.nickname)).toContain("erin");
    const erin = (await signIn(sandbox.url, consumer, "erin")).access_token;
    const perms = await json(await withBearer(sandbox.url, erin)("/2.0/user/permissions/repositories"));
    expect(perms.body.values.map((v: { permission: string; repository: { full_name: string } }) => [v.repository.full_name, v.permission])).toEqual([
      ["acme/docs", "write"],
    ]);
    expect((await admin("PUT", "/repos/acme/docs/permissions/erin", { permission: "none" })).status).toBe(200);
    expect((await json(await withBearer(sandbox.url, erin)("/2.0/user/permissions/repositories"))).body.values).toEqual([]);
  });
});

describe("user tokens on the repository endpoints", () => {
  let sandbox: Sandbox;
  let dir: string;
  let hash: string;
  let tokens: Record<string, string>;

  beforeEach(async () => {
    dir = await tempDir("sandbox-user-repo-");
    sandbox = await startSandbox({ dataDir: `${dir}/data` });
    const { cloneUrl } = await sandbox.createRepo("acme", "site");
    const tree = await workTree(`${dir}/work`);
    hash = await commitFiles(tree, { "index.html": "hi" }, "first");
    await git(tree, "push", "--quiet", cloneUrl, "main");
    for (const nickname of ["reader", "writer", "stranger"]) sandbox.createUser(nickname);
    sandbox.setRepoPermission("acme", "site", "reader", "read");
    sandbox.setRepoPermission("acme", "site", "writer", "write");
    const consumer = sandbox.createOAuthConsumer({ callbackUrl: CALLBACK });
    tokens = {};
    for (const nickname of ["reader", "writer", "stranger"]) tokens[nickname] = (await signIn(sandbox.url, consumer, nickname)).access_token;
  });
  afterEach(async () => {
    await sandbox.close();
    await removeDir(dir);
  });

  const as = (nickname: string) => withBearer(sandbox.url, tokens[nickname] ?? "");
  const postStatus = (nickname: string) =>
    as(nickname)(`/2.0/repositories/acme/site/commit/${hash}/statuses/build`, {
      method: "POST",
      body: JSON.stringify({ key: "hoist", state: "SUCCESSFUL", url: "http://site.test/" }),
    });

  it("lets a reader read the repository, its files, branches, archives and statuses", async () => {
    for (const path of [
      "/2.0/repositories/acme/site",
      `/2.0/repositories/acme/site/src/${hash}/index.html`,
      "/2.0/repositories/acme/site/refs/branches/main",
      `/acme/site/get/${hash}.tar.gz`,
      `/2.0/repositories/acme/site/commit/${hash}/statuses`,
    ]) {
      expect((await as("reader")(path)).status, path).toBe(200);
    }
  });

  it("refuses a reader's build status (403) and takes a writer's", async () => {
    const refused = await postStatus("reader");
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ type: "error", error: { message: expect.stringMatching(/write or admin/) } });
    expect((await postStatus("writer")).status).toBe(201);
    expect((await sandbox.statuses("acme", "site", hash)).map((s) => s.key)).toEqual(["hoist"]);
  });

  it("shows a user without access nothing: 404 on the repository, its archive and statuses", async () => {
    for (const path of ["/2.0/repositories/acme/site", `/acme/site/get/${hash}.tar.gz`, `/2.0/repositories/acme/site/commit/${hash}/statuses`]) {
      const res = await as("stranger")(path);
      expect(res.status, path).toBe(404);
      expect(await res.json()).toMatchObject({ type: "error", error: { message: expect.stringMatching(/may not have access/) } });
    }
    expect((await postStatus("stranger")).status).toBe(404);
    expect((await as("reader")("/2.0/repositories/acme/ghost")).status).toBe(404);
  });

  it("refuses an archive download with the token in the query", async () => {
    const res = await fetch(`${sandbox.url}/acme/site/get/${hash}.tar.gz?access_token=${tokens.reader}`);
    expect(res.status).toBe(401);
  });
});
