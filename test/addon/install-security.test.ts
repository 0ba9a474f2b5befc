import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, bitbucketJwt, openPanel, siteHost, siteShows, startStack, waitFor, type Stack } from "./harness.ts";

/** Connect lifecycle: re-installs and uninstalls must be signed; first installs are verified; uninstall stops deploys and keeps history. */
describe("install security", () => {
  let stack: Stack;
  let acme: { clientKey: string; sharedSecret: string };
  const installPayload = (clientKey: string, over: Record<string, unknown> = {}) => ({
    key: "hoist-deploys",
    clientKey,
    sharedSecret: "attacker-chosen-secret-attacker-chosen-secret",
    baseUrl: stack.sandbox.url,
    baseApiUrl: stack.sandbox.url,
    productType: "bitbucket",
    eventType: "installed",
    ...over,
  });
  const postLifecycle = (path: string, body: object, token?: string) =>
    fetch(`${stack.hoist.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `JWT ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  const storedSecret = async (clientKey: string) => ((await stack.hoist.hoist.addon.settings.get("clientInfo", clientKey)) as { sharedSecret?: string } | null)?.sharedSecret;

  beforeAll(async () => {
    stack = await startStack();
    acme = await stack.install("acme");
  });
  afterAll(async () => stack?.close());

  it("rejects an unsigned re-install of a known installation and keeps its secret", async () => {
    const res = await postLifecycle("/installed", installPayload(acme.clientKey));
    expect(res.status).toBe(401);
    expect(await storedSecret(acme.clientKey)).toBe(acme.sharedSecret);
  });

  it("rejects a re-install signed with another secret", async () => {
    const token = bitbucketJwt({ clientKey: acme.clientKey, secret: "guessed", method: "POST", url: `${stack.hoist.url}/installed`, baseUrl: stack.hoist.url });
    expect((await postLifecycle("/installed", installPayload(acme.clientKey), token)).status).toBe(401);
    expect(await storedSecret(acme.clientKey)).toBe(acme.sharedSecret);
  });

  it("rejects a re-install whose signature belongs to another installation than the body names", async () => {
    const other = await stack.install("other");
    const token = bitbucketJwt({ clientKey: other.clientKey, secret: other.sharedSecret, method: "POST", url: `${stack.hoist.url}/installed`, baseUrl: stack.hoist.url });
    expect((await postLifecycle("/installed", installPayload(acme.clientKey), token)).status).toBe(401);
    expect(await storedSecret(acme.clientKey)).toBe(acme.sharedSecret);
  });

  it("refuses a first install naming a host that is not Bitbucket", async () => {
    const res = await postLifecycle("/installed", installPayload("ari:cloud:bitbucket::app/{evil}/hoist-deploys", { baseUrl: "http://evil.example", baseApiUrl: "http://evil.example" }));
    expect(res.status).toBe(401);
    expect(await storedSecret("ari:cloud:bitbucket::app/{evil}/hoist-deploys")).toBeUndefined();
  });

  it("never activates a forged first install whose credentials Bitbucket does not know", async () => {
    const forged = "ari:cloud:bitbucket::app/{11111111-1111-1111-1111-111111111111}/hoist-deploys";
    expect((await postLifecycle("/installed", installPayload(forged))).status).toBe(204);
    await stack.hoist.hoist.verifier.settled(forged);
    expect(await stack.hoist.hoist.installations.get(forged)).toBeUndefined();
    // Its signed webhooks are refused and deploy nothing, and its panel is refused.
    const token = bitbucketJwt({ clientKey: forged, secret: installPayload(forged).sharedSecret as string, method: "POST", url: `${stack.hoist.url}/webhooks/repo-push`, baseUrl: stack.hoist.url });
    const res = await fetch(`${stack.hoist.url}/webhooks/repo-push`, {
      method: "POST",
      headers: { authorization: `JWT ${token}`, "content-type": "application/json", "x-event-key": "repo:push", "x-request-uuid": crypto.randomUUID() },
      body: JSON.stringify({ repository: { full_name: "forged/site" }, push: { changes: [{ new: { type: "branch", name: "main", target: { hash: "b".repeat(40) } } }] } }),
    });
    expect(res.status).toBe(401);
    await stack.settle();
    expect((await stack.hoist.hoist.records.list("forged/site")).deploys).toHaveLength(0);
    const panel = await openPanel(stack, { clientKey: forged, sharedSecret: installPayload(forged).sharedSecret as string }, "forged", "site");
    expect(panel.status).toBe(401);
  });

  it("an unsigned install sent ahead of a workspace's real one changes nothing for it", async () => {
    // Prepare: a workspace that has not installed Hoist; its clientKey is no secret.
    const workspace = stack.sandbox.createWorkspace("later");
    const clientKey = `ari:cloud:bitbucket::app/${workspace.uuid}/hoist-deploys`;
    // Act: the squatter installs first (twice, as it may), then the workspace installs for real.
    expect((await postLifecycle("/installed", installPayload(clientKey))).status).toBe(204);
    expect((await postLifecycle("/installed", installPayload(clientKey, { sharedSecret: "another-attacker-secret-another-attacker-secret" }))).status).toBe(204);
    const real = await stack.sandbox.installAddon(stack.descriptorUrl, { workspace: "later" });
    // Assess: the real install is the one that becomes active, with Bitbucket's secret.
    await waitFor(async () => Boolean(await stack.hoist.hoist.installations.getActive(clientKey)));
    expect(real.clientKey).toBe(clientKey);
    const stored = await storedSecret(clientKey);
    expect(stored).not.toBe(installPayload(clientKey).sharedSecret);
    expect(stored).not.toBe("another-attacker-secret-another-attacker-secret");
    // …and once verified, a squatter's unsigned install is refused outright.
    expect((await postLifecycle("/installed", installPayload(clientKey))).status).toBe(401);
    expect(await storedSecret(clientKey)).toBe(stored);
  });

  it("answers a lifecycle body that is not JSON with 400", async () => {
    const res = await fetch(`${stack.hoist.url}/installed`, { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe("install.invalid");
  });

  it("rejects an unsigned uninstall", async () => {
    expect((await postLifecycle("/uninstalled", { clientKey: acme.clientKey })).status).toBe(401);
    expect((await stack.hoist.hoist.installations.get(acme.clientKey))?.state.status).toBe("installed");
  });

  it("uninstall stops deploys and keeps history; a signed re-install picks it up again", async () => {
    const repo = await stack.repo("acme", "site");
    const first = await repo.pushFiles({ "index.html": "<p>v1</p>" }, "v1");
    await stack.settle();
    const panel = await openPanel(stack, acme, "acme", "site");

    await stack.sandbox.uninstallAddon("hoist-deploys", { workspace: "acme" });
    expect((await stack.hoist.hoist.installations.get(acme.clientKey))?.state.status).toBe("uninstalled");
    // A replayed delivery signed with the old secret is accepted at the door but deploys nothing.
    const token = bitbucketJwt({ clientKey: acme.clientKey, secret: acme.sharedSecret, method: "POST", url: `${stack.hoist.url}/webhooks/repo-push`, baseUrl: stack.hoist.url });
    await fetch(`${stack.hoist.url}/webhooks/repo-push`, {
      method: "POST",
      headers: { authorization: `JWT ${token}`, "content-type": "application/json", "x-event-key": "repo:push", "x-request-uuid": crypto.randomUUID() },
      body: JSON.stringify({ repository: { full_name: "acme/site", mainbranch: { name: "main" } }, push: { changes: [{ new: { type: "branch", name: "main", target: { hash: first } } }] } }),
    });
    await stack.settle();
    expect((await stack.hoist.hoist.records.list("acme/site")).deploys).toHaveLength(1);
    expect((await api(stack, panel.token, "/api/sites/acme/site")).status).toBe(401);
    expect((await stack.site(siteHost(stack, "site--acme"))).body).toContain("v1");

    await stack.sandbox.installAddon(stack.descriptorUrl, { workspace: "acme" });
    await waitFor(async () => Boolean(await stack.hoist.hoist.installations.getActive(acme.clientKey)));
    await repo.pushFiles({ "index.html": "<p>v2</p>" }, "v2");
    await stack.settle();
    expect(await siteShows(stack, siteHost(stack, "site--acme"), "v2")).toBe(true);
    expect((await stack.hoist.hoist.records.list("acme/site")).deploys.map((d) => d.message)).toEqual(["v2", "v1"]);
  });
});
