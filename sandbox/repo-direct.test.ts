import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "./server.ts";
import { commitFiles, git, removeDir, tempDir, workTree } from "./test-support.ts";

describe("without Connect: repository access tokens and repository webhooks", () => {
  let sandbox: Sandbox;
  let dir: string;
  let hash: string;
  let received: { headers: IncomingHttpHeaders; body: string }[];
  let receiver: ReturnType<typeof createServer>;
  let receiverUrl: string;

  beforeEach(async () => {
    dir = await tempDir("sandbox-direct-");
    sandbox = await startSandbox({ dataDir: `${dir}/data` });
    sandbox.createWorkspace("acme");
    await sandbox.createRepo("acme", "site");
    await sandbox.createRepo("acme", "other");
    received = [];
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
        res.writeHead(202).end();
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

  const push = async () => {
    const tree = await workTree(`${dir}/work`);
    hash = await commitFiles(tree, { "index.html": "hi" }, "first");
    await git(tree, "push", "--quiet", `${sandbox.url}/acme/site.git`, "main");
    await sandbox.settled();
  };

  it("delivers repo:push to a repository webhook, signed with X-Hub-Signature over the exact body", async () => {
    sandbox.addRepoWebhook("acme", "site", { url: receiverUrl, secret: "the-secret" });
    await push();
    expect(received).toHaveLength(1);
    const [hook] = received;
    expect(hook?.headers["x-event-key"]).toBe("repo:push");
    expect(hook?.headers["x-hook-uuid"]).toMatch(/^\{[0-9a-f-]{36}\}$/);
    expect(hook?.headers.authorization).toBeUndefined();
    expect(hook?.headers["x-hub-signature"]).toBe(`sha256=${createHmac("sha256", "the-secret").update(hook!.body).digest("hex")}`);
    expect(JSON.parse(hook!.body).repository.full_name).toBe("acme/site");
    expect(sandbox.deliveries()[0]).toMatchObject({ outcome: "delivered", hookUuid: hook?.headers["x-hook-uuid"] });
  });

  it("accepts a repository token for its own repository only, and needs repository:write for statuses", async () => {
    await push();
    const readOnly = sandbox.createRepoAccessToken("acme", "site", ["repository"]);
    const writer = sandbox.createRepoAccessToken("acme", "site");
    const get = (path: string, token: string) => fetch(`${sandbox.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const status = (token: string) =>
      fetch(`${sandbox.url}/2.0/repositories/acme/site/commit/${hash}/statuses/build`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ key: "hoist", state: "SUCCESSFUL", url: "http://site.test/" }),
      });
    expect((await get(`/acme/site/get/${hash}.tar.gz`, readOnly)).status).toBe(200);
    expect((await get("/2.0/repositories/acme/other", readOnly)).status).toBe(401);
    expect((await status(readOnly)).status).toBe(401);
    expect((await status(writer)).status).toBe(201);
    expect((await get("/2.0/repositories/acme/site", "not-a-token")).status).toBe(401);
  });
});
