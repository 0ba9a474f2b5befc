import * as jwt from "atlassian-jwt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "./server.ts";
import { type FakeAddon, defaultDescriptor, removeDir, startFakeAddon, tempDir } from "./test-support.ts";

describe("Connect install and uninstall", () => {
  let sandbox: Sandbox;
  let addon: FakeAddon;
  let dir: string;

  beforeEach(async () => {
    dir = await tempDir("sandbox-install-");
    sandbox = await startSandbox({ dataDir: dir });
    sandbox.createWorkspace("acme");
    addon = await startFakeAddon({ pathPrefix: "/hoist" });
  });
  afterEach(async () => {
    await sandbox.close();
    await addon.close();
    await removeDir(dir);
  });

  it("sends an unsigned first install with a Bitbucket-shaped payload", async () => {
    const summary = await sandbox.installAddon(addon.descriptorUrl, { workspace: "acme" });

    const [install] = addon.installs;
    expect(install?.headers.authorization).toBeUndefined();
    expect(install?.body).toMatchObject({
      key: "hoist-test",
      clientKey: summary.clientKey,
      baseUrl: sandbox.url,
      baseApiUrl: sandbox.url,
      productType: "bitbucket",
      eventType: "installed",
      principal: { type: "team", username: "acme" },
    });
    expect(install?.body.sharedSecret.length).toBeGreaterThanOrEqual(32);
    expect(summary).not.toHaveProperty("sharedSecret");
  });

  it("signs a re-install with the previous shared secret and hands over a new one", async () => {
    await sandbox.installAddon(addon.descriptorUrl, { workspace: "acme" });
    await sandbox.installAddon(addon.descriptorUrl, { workspace: "acme" });

    const [first, second] = addon.installs;
    expect(second?.body.clientKey).toBe(first?.body.clientKey);
    expect(second?.body.sharedSecret).not.toBe(first?.body.sharedSecret);
    const token = String(second?.headers.authorization).replace(/^JWT /, "");
    const claims = jwt.decodeSymmetric(token, first?.body.sharedSecret, jwt.SymmetricAlgorithm.HS256);
    expect(claims.iss).toBe(first?.body.clientKey);
    expect(claims.qsh).toBe(jwt.createQueryStringHash(jwt.fromMethodAndUrl("POST", "/installed")));
    expect(() => jwt.decodeSymmetric(token, second?.body.sharedSecret, jwt.SymmetricAlgorithm.HS256)).toThrow();
  });

  it("gives each workspace its own clientKey", async () => {
    sandbox.createWorkspace("other");
    const a = await sandbox.installAddon(addon.descriptorUrl, { workspace: "acme" });
    const b = await sandbox.installAddon(addon.descriptorUrl, { workspace: "other" });
    expect(a.clientKey).not.toBe(b.clientKey);
  });

  it("signs the uninstall with the current secret and forgets the installation", async () => {
    await sandbox.installAddon(addon.descriptorUrl, { workspace: "acme" });
    await sandbox.uninstallAddon("hoist-test", { workspace: "acme" });

    const token = String(addon.uninstalls[0]?.headers.authorization).replace(/^JWT /, "");
    const claims = jwt.decodeSymmetric(token, addon.installs[0]?.body.sharedSecret, jwt.SymmetricAlgorithm.HS256);
    expect(addon.uninstalls[0]?.body.eventType).toBe("uninstalled");
    expect(claims.qsh).toBe(jwt.createQueryStringHash(jwt.fromMethodAndUrl("POST", "/uninstalled")));
    expect(sandbox.installations()).toEqual([]);
  });

  it("signs a re-install after an uninstall with the secret of the uninstalled installation", async () => {
    await sandbox.installAddon(addon.descriptorUrl, { workspace: "acme" });
    await sandbox.uninstallAddon("hoist-test", { workspace: "acme" });
    await sandbox.installAddon(addon.descriptorUrl, { workspace: "acme" });

    const token = String(addon.installs[1]?.headers.authorization).replace(/^JWT /, "");
    const claims = jwt.decodeSymmetric(token, addon.installs[0]?.body.sharedSecret, jwt.SymmetricAlgorithm.HS256);
    expect(claims.iss).toBe(addon.installs[0]?.body.clientKey);
  });

  it("refuses a descriptor that is not jwt-authenticated, naming the reason", async () => {
    addon.descriptor = { ...defaultDescriptor(addon.baseUrl), authentication: { type: "none" } };
    await expect(sandbox.installAddon(addon.descriptorUrl, { workspace: "acme" })).rejects.toThrow(/authentication/);
    expect(addon.installs).toHaveLength(0);
  });

  it("refuses a descriptor without an installed lifecycle hook", async () => {
    const { lifecycle: _gone, ...rest } = defaultDescriptor(addon.baseUrl);
    addon.descriptor = rest;
    await expect(sandbox.installAddon(addon.descriptorUrl, { workspace: "acme" })).rejects.toThrow(/lifecycle/);
  });

  it("keeps no installation when the add-on refuses the install", async () => {
    addon.installAnswer = 401;
    await expect(sandbox.installAddon(addon.descriptorUrl, { workspace: "acme" })).rejects.toThrow(/answered 401/);
    expect(sandbox.installations()).toEqual([]);
  });

  it("installs over the admin API and never shows the secret", async () => {
    const res = await fetch(`${sandbox.url}/_sandbox/installations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ descriptorUrl: addon.descriptorUrl, workspace: "acme" }),
    });
    expect(res.status).toBe(201);
    const list = await (await fetch(`${sandbox.url}/_sandbox/installations`)).json();
    expect(list).toHaveLength(1);
    expect(JSON.stringify(list)).not.toContain(addon.installs[0]?.body.sharedSecret);

    const del = await fetch(`${sandbox.url}/_sandbox/installations/${encodeURIComponent(list[0].clientKey)}`, { method: "DELETE" });
    expect(del.status).toBe(204);
    expect(addon.uninstalls).toHaveLength(1);
  });

  it("keeps installations across a restart on the same data dir", async () => {
    await sandbox.installAddon(addon.descriptorUrl, { workspace: "acme" });
    await sandbox.close();
    sandbox = await startSandbox({ dataDir: dir });
    expect(sandbox.installations()).toHaveLength(1);
  });
});
