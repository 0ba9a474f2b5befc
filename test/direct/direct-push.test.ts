import { createHmac, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_BRANCHES_PER_PUSH } from "../../server/push/push-handler.ts";
import { waitFor } from "../addon/harness.ts";
import { startDirectStack, type DirectStack } from "./harness.ts";

/** A repo:push body as Bitbucket sends it to repository webhooks (the parts Hoist reads, plus noise). */
function pushBody(fullName: string, commit: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    actor: { display_name: "Ada Lovelace" },
    repository: { type: "repository", full_name: fullName, name: fullName.split("/")[1], mainbranch: { name: "main" } },
    push: { changes: [{ old: null, new: { type: "branch", name: "main", target: { type: "commit", hash: commit, message: "hand-made\n", author: { raw: "Ada <ada@example.com>" } } } }] },
    ...extra,
  });
}

function sign(body: string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: "POST", body, headers: { "content-type": "application/json", "x-event-key": "repo:push", "x-request-uuid": randomUUID(), "x-attempt-number": "1", ...headers } });
  return { status: res.status, text: await res.text() };
}

describe("direct mode: plain repository webhooks + repository access tokens", () => {
  let stack: DirectStack;
  beforeAll(async () => {
    stack = await startDirectStack(["acme/site", "acme/quiet", "acme/many"]);
  });
  afterAll(async () => stack?.close());

  it("a signed push deploys: the site serves the files and Bitbucket shows SUCCESSFUL, posted with the access token", async () => {
    // Prepare
    stack.addWebhook("acme/site");
    // Act
    const commit = await stack.pushFiles("acme/site", { "index.html": "<h1>Direct from acme</h1>", "css/a.css": "body{}" }, "first direct deploy");
    await stack.settle();
    // Assess
    const delivery = stack.sandbox.deliveries().find((d) => d.repository === "acme/site");
    expect(delivery).toMatchObject({ outcome: "delivered", attempts: [{ status: 202 }] });
    const page = await stack.site(`site--acme.${stack.hoist.config.sitesDomain}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain("Direct from acme");
    const css = await stack.site(`site--acme.${stack.hoist.config.sitesDomain}`, "/css/a.css");
    expect(css.body).toBe("body{}");
    // The sandbox accepts only this repository's token for statuses (the site has no Connect installation).
    const statuses = await stack.sandbox.statuses("acme", "site", commit);
    expect(statuses.map((s) => s.state)).toEqual(["SUCCESSFUL"]);
    expect(statuses[0]!.url).toContain("site--acme.");
    const [deploy] = await stack.deploys("acme/site");
    expect(deploy).toMatchObject({ commit, status: "succeeded", branch: "main", owner: "direct:acme/site", message: "first direct deploy", deliveryId: delivery!.requestUuid });
  });

  it("a redelivery (same X-Request-UUID) deploys once", async () => {
    // Prepare: Bitbucket delivers every webhook twice, concurrently, with one request uuid.
    stack.sandbox.faults = { webhooks: { duplicate: true } };
    stack.sandbox.clearDeliveries();
    try {
      // Act
      const commit = await stack.pushFiles("acme/site", { "index.html": "<h1>Second</h1>" }, "second");
      await stack.settle();
      // Assess
      const deliveries = stack.sandbox.deliveries();
      expect(deliveries).toHaveLength(2);
      expect(deliveries[0]!.requestUuid).toBe(deliveries[1]!.requestUuid);
      const forCommit = (await stack.deploys("acme/site")).filter((d) => d.commit === commit);
      expect(forCommit).toHaveLength(1);
      expect(forCommit[0]!.status).toBe("succeeded");
    } finally {
      stack.sandbox.faults = {};
    }
  });

  it("a captured signed delivery re-posted later, under new request ids, never rolls the site back", async () => {
    // Prepare: v3 then v4 go live; the attacker kept v3's signed body (a valid signature, an old commit).
    const v3 = await stack.pushFiles("acme/site", { "index.html": "<h1>v3</h1>" }, "v3");
    await stack.settle();
    await stack.pushFiles("acme/site", { "index.html": "<h1>v4</h1>" }, "v4");
    await stack.settle();
    const { hookUrl, secret } = stack.sites["acme/site"]!;
    const captured = pushBody("acme/site", v3);
    // Act: re-post it twice, each time with a fresh X-Request-UUID.
    for (let i = 0; i < 2; i++) expect((await post(hookUrl, captured, { "x-hub-signature": sign(captured, secret) })).status).toBe(202);
    await stack.settle();
    // Assess: v4 still serves, and no replay of v3 went live.
    expect((await stack.site(`site--acme.${stack.hoist.config.sitesDomain}`)).body).toContain("v4");
    const replays = (await stack.deploys("acme/site")).filter((d) => d.commit === v3).slice(0, -1);
    expect(replays.length).toBeLessThanOrEqual(1);
    for (const replay of replays) expect(replay).toMatchObject({ status: "superseded", reasonMessage: expect.stringContaining("moved on") });
  });

  it("one signed delivery naming a thousand branches deploys at most a bounded number of them", async () => {
    // Prepare: acme/many has no webhook in the sandbox; its settings opt in every b* branch.
    const main = await stack.pushFiles("acme/many", { "hoist.json": '{"branches": ["b*"]}', "index.html": "<p>many</p>" }, "many branches");
    const { hookUrl, secret } = stack.sites["acme/many"]!;
    const changes = Array.from({ length: 1000 }, (_, i) => ({ old: null, new: { type: "branch", name: `b${i}`, target: { type: "commit", hash: main } } }));
    const body = JSON.stringify({ repository: { full_name: "acme/many", mainbranch: { name: "main" } }, push: { changes } });
    // Act
    expect((await post(hookUrl, body, { "x-hub-signature": sign(body, secret) })).status).toBe(202);
    await stack.settle();
    // Assess
    expect((await stack.deploys("acme/many")).length).toBeLessThanOrEqual(MAX_BRANCHES_PER_PUSH);
  });

  it("refuses a wrong, missing or non-sha256 signature with 401 and records nothing", async () => {
    const { hookUrl, secret } = stack.sites["acme/quiet"]!;
    const body = pushBody("acme/quiet", "a".repeat(40));
    const wrong = await post(hookUrl, body, { "x-hub-signature": sign(body, `${secret}x`) });
    const missing = await post(hookUrl, body, {});
    const sha1 = await post(hookUrl, body, { "x-hub-signature": `sha1=${createHmac("sha1", secret).update(body).digest("hex")}` });
    const tampered = await post(hookUrl, body.replace("hand-made", "hand-made!"), { "x-hub-signature": sign(body, secret) });
    for (const res of [wrong, missing, sha1, tampered]) {
      expect(res.status).toBe(401);
      expect(JSON.parse(res.text).error.code).toBe("auth.invalid");
    }
    expect(missing.text).toContain("missing");
    await stack.settle();
    expect(await stack.deploys("acme/quiet")).toEqual([]);
  });

  it("answers an address with no site exactly as a wrong signature, so sites cannot be enumerated", async () => {
    const body = pushBody("acme/other", "b".repeat(40));
    const guess = sign(body, "some-guessed-secret-some-guessed-secret");
    const configured = stack.sites["acme/quiet"]!.hookUrl;
    const nowhere = `${stack.hoist.url}/hooks/bitbucket/acme/other`;
    for (const headers of [{}, { "x-hub-signature": guess }] as Record<string, string>[]) {
      const [known, unknown] = [await post(configured, body, headers), await post(nowhere, body, headers)];
      expect(unknown.status).toBe(401);
      expect([unknown.status, unknown.text]).toEqual([known.status, known.text]);
      expect(unknown.text).not.toContain("quiet");
    }
  });

  it("refuses a body over 256 KB with 413", async () => {
    const { hookUrl, secret } = stack.sites["acme/quiet"]!;
    const body = pushBody("acme/quiet", "c".repeat(40), { padding: "x".repeat(300 * 1024) });
    const res = await post(hookUrl, body, { "x-hub-signature": sign(body, secret) });
    expect(res.status).toBe(413);
    await stack.settle();
    expect(await stack.deploys("acme/quiet")).toEqual([]);
  });

  it("refuses a correctly signed body that names another repository, recording nothing", async () => {
    const { hookUrl, secret } = stack.sites["acme/quiet"]!;
    const before = (await stack.deploys("acme/site")).length;
    const commit = (await stack.deploys("acme/site"))[0]!.commit;
    const body = pushBody("acme/site", commit);
    const res = await post(hookUrl, body, { "x-hub-signature": sign(body, secret) });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).error.code).toBe("webhook.wrong_repository");
    await stack.settle();
    expect(await stack.deploys("acme/quiet")).toEqual([]);
    expect(await stack.deploys("acme/site")).toHaveLength(before);
  });

  it("answers 400 for a signed body that is not JSON or not a repo:push payload", async () => {
    const { hookUrl, secret } = stack.sites["acme/quiet"]!;
    const notJson = "{not json";
    expect((await post(hookUrl, notJson, { "x-hub-signature": sign(notJson, secret) })).status).toBe(400);
    const notPush = JSON.stringify({ repository: { full_name: "acme/quiet" } });
    expect((await post(hookUrl, notPush, { "x-hub-signature": sign(notPush, secret) })).status).toBe(400);
    await waitFor(async () => (await stack.deploys("acme/quiet")).length === 0);
  });
});

describe("direct mode next to Connect", () => {
  let stack: DirectStack;
  beforeAll(async () => {
    stack = await startDirectStack(["acme/site"]);
  });
  afterAll(async () => stack?.close());

  it("a Connect installation in the same workspace never deploys a direct site, whichever webhook comes first", async () => {
    // Prepare: Hoist is also installed as a Connect app in acme.
    const summary = await stack.sandbox.installAddon(`${stack.hoist.url}/atlassian-connect.json`, { workspace: "acme" });
    await waitFor(async () => (await stack.hoist.hoist.installations.getActive(summary.clientKey)) !== undefined);
    // Act 1: only the Connect webhook exists yet.
    await stack.pushFiles("acme/site", { "index.html": "<h1>Via Connect?</h1>" }, "connect first");
    await stack.settle();
    // Assess 1: delivered, and skipped: no deploy, no claim on the stage.
    expect(stack.sandbox.deliveries().map((d) => [d.hookUuid ? "repository" : "connect", d.outcome])).toEqual([["connect", "delivered"]]);
    expect(await stack.deploys("acme/site")).toEqual([]);
    expect((await stack.hoist.hoist.sites.get("site--acme"))?.owner).toBeUndefined();
    // Act 2: the repository webhook is added; one push now reaches Hoist twice.
    stack.addWebhook("acme/site");
    const commit = await stack.pushFiles("acme/site", { "index.html": "<h1>Owned directly</h1>" }, "direct owns it");
    await stack.settle();
    // Assess 2: only the direct site's deploy exists, and it owns the stage.
    const deploys = await stack.deploys("acme/site");
    expect(deploys.map((d) => [d.commit, d.owner, d.status])).toEqual([[commit, "direct:acme/site", "succeeded"]]);
    expect((await stack.hoist.hoist.sites.get("site--acme"))?.owner).toBe("direct:acme/site");
  });
});
