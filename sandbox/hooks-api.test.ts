import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "./server.ts";
import { commitFiles, git, removeDir, signIn, tempDir, withBearer, workTree } from "./test-support.ts";

const CALLBACK = "http://127.0.0.1:4000/callback";
const HOOKS = "/2.0/repositories/acme/site/hooks";

describe("repository webhooks over REST (/2.0/repositories/{ws}/{repo}/hooks)", () => {
  let sandbox: Sandbox;
  let dir: string;
  let tokens: Record<string, string>;
  let received: { headers: IncomingHttpHeaders; body: string }[];
  let receiver: ReturnType<typeof createServer>;
  let receiverUrl: string;

  beforeEach(async () => {
    dir = await tempDir("sandbox-hooks-api-");
    sandbox = await startSandbox({ dataDir: `${dir}/data` });
    await sandbox.createRepo("acme", "site");
    await sandbox.createRepo("acme", "other");
    for (const nickname of ["admin", "reader", "writer", "stranger"]) sandbox.createUser(nickname);
    sandbox.setRepoPermission("acme", "site", "admin", "admin");
    sandbox.setRepoPermission("acme", "site", "reader", "read");
    sandbox.setRepoPermission("acme", "site", "writer", "write");
    const consumer = sandbox.createOAuthConsumer({ callbackUrl: CALLBACK });
    tokens = {};
    for (const nickname of ["admin", "reader", "writer", "stranger"]) tokens[nickname] = (await signIn(sandbox.url, consumer, nickname)).access_token;
    received = [];
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  afterEach(async () => {
    await sandbox.close();
    await new Promise((r) => receiver.close(r));
    await removeDir(dir);
  });

  const as = (nickname: string) => withBearer(sandbox.url, tokens[nickname] ?? "");
  const create = (nickname: string, body: object) => as(nickname)(HOOKS, { method: "POST", body: JSON.stringify(body) });
  const push = async () => {
    const tree = await workTree(`${dir}/work`);
    await commitFiles(tree, { "index.html": String(Math.random()) }, "change");
    await git(tree, "push", "--quiet", "--force", `${sandbox.url}/acme/site.git`, "main");
    await sandbox.settled();
  };

  it("creates a hook with a secret that a push then delivers to, signed; the secret is never shown", async () => {
    const res = await create("admin", { description: "Hoist", url: receiverUrl, active: true, events: ["repo:push"], secret: "s3cret" });
    expect(res.status).toBe(201);
    const hook = await res.json();
    expect(hook).toMatchObject({
      type: "webhook_subscription",
      uuid: expect.stringMatching(/^\{[0-9a-f-]{36}\}$/),
      url: receiverUrl,
      description: "Hoist",
      subject_type: "repository",
      subject: { type: "repository", full_name: "acme/site" },
      active: true,
      events: ["repo:push"],
      created_at: expect.any(String),
      secret_set: true,
    });
    expect(JSON.stringify(hook)).not.toContain("s3cret");
    expect(res.headers.get("location")).toBe(hook.links.self.href);
    expect(sandbox.repoWebhooks("acme", "site")).toEqual([expect.objectContaining({ uuid: hook.uuid, url: receiverUrl, secretSet: true, active: true })]);

    await push();
    expect(received).toHaveLength(1);
    const [delivery] = received;
    expect(delivery?.headers["x-event-key"]).toBe("repo:push");
    expect(delivery?.headers["x-hook-uuid"]).toBe(hook.uuid);
    expect(delivery?.headers["x-hub-signature"]).toBe(
      `sha256=${createHmac("sha256", "s3cret")
        .update(delivery?.body ?? "")
        .digest("hex")}`,
    );
  });

  it("lists, reads, updates and deletes a hook; a deleted hook is gone and gets no pushes", async () => {
    const hook = await (await create("admin", { description: "first", url: receiverUrl, active: true, events: ["repo:push"] })).json();
    expect(hook.secret_set).toBe(false);
    sandbox.addRepoWebhook("acme", "other", { url: receiverUrl });

    const list = await (await as("admin")(HOOKS)).json();
    expect(list).toMatchObject({ page: 1, pagelen: 10, size: 1, values: [{ uuid: hook.uuid }] });

    const bare = hook.uuid.slice(1, -1);
    for (const uid of [hook.uuid, bare, encodeURIComponent(hook.uuid), bare.toUpperCase()]) {
      const res = await as("admin")(`${HOOKS}/${uid}`);
      expect(res.status, uid).toBe(200);
      expect((await res.json()).uuid).toBe(hook.uuid);
    }

    const updated = await as("admin")(`${HOOKS}/${bare}`, { method: "PUT", body: JSON.stringify({ description: "second", secret: "added" }) });
    expect(updated.status).toBe(200);
    expect(await updated.json()).toMatchObject({ uuid: hook.uuid, description: "second", url: receiverUrl, secret_set: true, events: ["repo:push"] });
    const cleared = await (await as("admin")(`${HOOKS}/${bare}`, { method: "PUT", body: JSON.stringify({ secret: null }) })).json();
    expect(cleared.secret_set).toBe(false);

    const deleted = await as("admin")(`${HOOKS}/${encodeURIComponent(hook.uuid)}`, { method: "DELETE" });
    expect(deleted.status).toBe(204);
    expect(sandbox.repoWebhooks("acme", "site")).toEqual([]);
    expect((await as("admin")(`${HOOKS}/${bare}`)).status).toBe(404);
    expect((await as("admin")(`${HOOKS}/${bare}`, { method: "DELETE" })).status).toBe(404);
    expect((await as("admin")(`${HOOKS}/${bare}`, { method: "PUT", body: JSON.stringify({ active: false }) })).status).toBe(404);
    expect(sandbox.repoWebhooks("acme", "other")).toHaveLength(1);

    await push();
    expect(received).toEqual([]);
  });

  it("sends nothing to an inactive hook", async () => {
    const hook = await (await create("admin", { description: "off", url: receiverUrl, active: false, events: ["repo:push"] })).json();
    expect(hook.active).toBe(false);
    await push();
    expect(received).toEqual([]);
  });

  it("validates the url and the events", async () => {
    for (const body of [
      { description: "x", url: "ftp://example.test/", active: true, events: ["repo:push"] },
      { description: "x", url: "not a url", active: true, events: ["repo:push"] },
      { description: "x", url: receiverUrl, active: true, events: [] },
      { description: "x", url: receiverUrl, active: true, events: ["repo:explode"] },
      { description: "x", url: receiverUrl, active: true },
    ]) {
      const res = await create("admin", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await res.json()).toMatchObject({ type: "error", error: { message: expect.any(String) } });
    }
    expect(sandbox.repoWebhooks("acme", "site")).toEqual([]);
  });

  it("needs admin on the repository: readers and writers get 403, strangers 404, no token 401", async () => {
    const body = { description: "x", url: receiverUrl, active: true, events: ["repo:push"] };
    for (const nickname of ["reader", "writer"]) {
      const res = await create(nickname, body);
      expect(res.status, nickname).toBe(403);
      expect(await res.json()).toMatchObject({ type: "error", error: { message: expect.stringMatching(/admin/) } });
      expect((await as(nickname)(HOOKS)).status, nickname).toBe(403);
    }
    expect((await create("stranger", body)).status).toBe(404);
    expect((await as("stranger")(HOOKS)).status).toBe(404);
    expect((await fetch(`${sandbox.url}${HOOKS}`)).status).toBe(401);
    expect((await as("admin")("/2.0/repositories/acme/other/hooks")).status).toBe(404);
    expect((await as("admin")("/2.0/repositories/acme/ghost/hooks")).status).toBe(404);
    expect(sandbox.repoWebhooks("acme", "site")).toEqual([]);

    const hook = sandbox.addRepoWebhook("acme", "site", { url: receiverUrl });
    expect((await as("reader")(`${HOOKS}/${encodeURIComponent(hook.uuid)}`, { method: "DELETE" })).status).toBe(403);
    expect(sandbox.repoWebhooks("acme", "site")).toHaveLength(1);
  });

  it("needs the webhook scope, and the repository scope for repo:push", async () => {
    const noWebhook = sandbox.createOAuthConsumer({ callbackUrl: CALLBACK, scopes: ["account", "repository"] });
    const noRepository = sandbox.createOAuthConsumer({ callbackUrl: CALLBACK, scopes: ["webhook", "repository:admin"] });
    const body = JSON.stringify({ description: "x", url: receiverUrl, active: true, events: ["repo:push"] });
    const withoutWebhook = withBearer(sandbox.url, (await signIn(sandbox.url, noWebhook, "admin")).access_token);
    const withoutRepository = withBearer(sandbox.url, (await signIn(sandbox.url, noRepository, "admin")).access_token);
    const a = await withoutWebhook(HOOKS, { method: "POST", body });
    expect(a.status).toBe(403);
    expect((await a.json()).error.detail).toEqual({ granted: ["account", "repository"], required: ["webhook"] });
    const b = await withoutRepository(HOOKS, { method: "POST", body });
    expect(b.status).toBe(403);
    expect((await b.json()).error.detail.required).toEqual(["repository"]);
    expect((await withoutRepository(HOOKS)).status).toBe(200);
  });

  it("refuses repository access tokens on hooks: they need a user's token", async () => {
    const repoToken = sandbox.createRepoAccessToken("acme", "site");
    expect((await withBearer(sandbox.url, repoToken)(HOOKS)).status).toBe(401);
  });

  it("lists hooks over the admin API without secrets", async () => {
    sandbox.addRepoWebhook("acme", "site", { url: receiverUrl, secret: "hidden" });
    const res = await fetch(`${sandbox.url}/_sandbox/repos/acme/site/webhooks`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain("hidden");
    expect(JSON.parse(text)).toEqual([expect.objectContaining({ url: receiverUrl, secretSet: true, events: ["repo:push"] })]);
  });
});
