import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "./server.ts";
import { type FakeAddon, commitFiles, git, removeDir, startFakeAddon, tempDir, workTree } from "./test-support.ts";

describe("webhook delivery rules", () => {
  let sandbox: Sandbox;
  let addon: FakeAddon;
  let dir: string;
  let remote: string;
  let tree: string;

  beforeEach(async () => {
    dir = await tempDir("sandbox-hooks-");
    sandbox = await startSandbox({ dataDir: `${dir}/data` });
    addon = await startFakeAddon();
    remote = (await sandbox.createRepo("acme", "site")).cloneUrl;
    await sandbox.installAddon(addon.descriptorUrl, { workspace: "acme" });
    tree = await workTree(`${dir}/work`);
    await commitFiles(tree, { "a.txt": "a" }, "a");
  });
  afterEach(async () => {
    await sandbox.close();
    await addon.close();
    await removeDir(dir);
  });

  async function push() {
    await git(tree, "push", "--quiet", remote, "main");
    await sandbox.settled();
  }

  it("retries a 5xx twice, immediately, with the same X-Request-UUID", async () => {
    addon.webhookAnswers = [500, 502, 500];
    await push();

    expect(addon.webhooks.map((w) => w.headers["x-attempt-number"])).toEqual(["1", "2", "3"]);
    expect(new Set(addon.webhooks.map((w) => w.headers["x-request-uuid"])).size).toBe(1);
    const [record] = sandbox.deliveries();
    expect(record).toMatchObject({ event: "repo:push", outcome: "failed", repository: "acme/site" });
    expect(record?.attempts.map((a) => a.status)).toEqual([500, 502, 500]);
  });

  it("stops retrying once the add-on answers 2xx", async () => {
    addon.webhookAnswers = [503, 204];
    await push();
    expect(sandbox.deliveries()[0]).toMatchObject({ outcome: "delivered" });
    expect(sandbox.deliveries()[0]?.attempts.map((a) => a.status)).toEqual([503, 204]);
  });

  it("does not retry a 4xx", async () => {
    addon.webhookAnswers = [401];
    await push();
    expect(addon.webhooks).toHaveLength(1);
    expect(sandbox.deliveries()[0]?.outcome).toBe("failed");
  });

  it("sends each delivery twice with one X-Request-UUID when duplication is switched on", async () => {
    sandbox.faults = { webhooks: { duplicate: true } };
    await push();
    expect(addon.webhooks).toHaveLength(2);
    expect(addon.webhooks[0]?.headers["x-request-uuid"]).toBe(addon.webhooks[1]?.headers["x-request-uuid"]);
    expect(addon.webhooks.map((w) => w.headers["x-attempt-number"])).toEqual(["1", "1"]);
  });

  it("records an unreachable add-on as failed after three attempts", async () => {
    await addon.close();
    await push();
    const [record] = sandbox.deliveries();
    expect(record?.outcome).toBe("failed");
    expect(record?.attempts).toHaveLength(3);
    expect(record?.attempts.every((a) => a.status === null)).toBe(true);
  });

  it("sends nothing after the add-on is uninstalled", async () => {
    await sandbox.uninstallAddon("hoist-test", { workspace: "acme" });
    await push();
    expect(addon.webhooks).toHaveLength(0);
  });

  it("skews the JWT clock on demand", async () => {
    sandbox.faults = { clockSkewSeconds: -3600 };
    await push();
    const token = String(addon.webhooks[0]?.headers.authorization).split(".")[1] ?? "";
    const claims = JSON.parse(Buffer.from(token, "base64url").toString());
    expect(claims.exp).toBeLessThan(Date.now() / 1000);
  });

  it("lists deliveries over the admin API, waiting for in-flight ones", async () => {
    await git(tree, "push", "--quiet", remote, "main");
    const res = await fetch(`${sandbox.url}/_sandbox/deliveries?wait=1`);
    const list = await res.json();
    expect(list).toHaveLength(1);
    expect(list[0].outcome).toBe("delivered");
  });
});
