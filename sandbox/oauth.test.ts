import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "./server.ts";
import { type FakeAddon, grantJwt, removeDir, requestToken, startFakeAddon, tempDir } from "./test-support.ts";

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");

describe("POST /site/oauth2/access_token (urn:bitbucket:oauth2:jwt)", () => {
  let sandbox: Sandbox;
  let addon: FakeAddon;
  let dir: string;
  let install: { key: string; clientKey: string; sharedSecret: string };

  beforeEach(async () => {
    dir = await tempDir("sandbox-oauth-");
    sandbox = await startSandbox({ dataDir: dir, tokenTtlSeconds: 60 });
    sandbox.createWorkspace("acme");
    addon = await startFakeAddon();
    await sandbox.installAddon(addon.descriptorUrl, { workspace: "acme" });
    install = addon.installs[0]?.body;
  });
  afterEach(async () => {
    await sandbox.close();
    await addon.close();
    await removeDir(dir);
  });

  async function expectRejected(token: string, status: number, description: RegExp) {
    const res = await requestToken(sandbox.url, token);
    expect(res.status).toBe(status);
    const body = await res.json();
    expect(body.error).toEqual(expect.any(String));
    expect(body.error_description).toMatch(description);
  }

  it("trades a valid JWT for a short-lived bearer token", async () => {
    const res = await requestToken(sandbox.url, grantJwt(install));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      access_token: expect.any(String),
      token_type: "bearer",
      expires_in: 60,
      scopes: "account repository",
    });
  });

  it("rejects alg none", async () => {
    const unsigned = `${b64({ alg: "none", typ: "JWT" })}.${b64({ iss: install.key, sub: install.clientKey })}.`;
    await expectRejected(unsigned, 401, /HS256/);
  });

  it("rejects an RS256 token", async () => {
    const token = `${b64({ alg: "RS256", typ: "JWT" })}.${b64({ iss: install.key, sub: install.clientKey })}.c2ln`;
    await expectRejected(token, 401, /HS256/);
  });

  it("rejects a token signed with another secret", async () => {
    await expectRejected(grantJwt(install, { secret: "not-the-secret" }), 401, /signature/);
  });

  it("rejects a token whose qsh is for another request", async () => {
    await expectRejected(grantJwt(install, { qshPath: "/2.0/repositories" }), 401, /qsh/);
  });

  it("rejects an expired token", async () => {
    const past = Math.floor(Date.now() / 1000) - 600;
    await expectRejected(grantJwt(install, { iat: past, exp: past + 180 }), 401, /expired/);
  });

  it("rejects a token issued in the future", async () => {
    const future = Math.floor(Date.now() / 1000) + 3600;
    await expectRejected(grantJwt(install, { iat: future, exp: future + 180 }), 401, /future/);
  });

  it("rejects an iss that is not the add-on key and an unknown sub", async () => {
    await expectRejected(grantJwt({ ...install, key: "someone-else" }), 401, /iss/);
    await expectRejected(grantJwt({ ...install, clientKey: "nobody" }), 401, /sub/);
  });

  it("rejects the old secret after a re-install", async () => {
    await sandbox.installAddon(addon.descriptorUrl, { workspace: "acme" });
    await expectRejected(grantJwt(install), 401, /signature/);
  });

  it("rejects a missing or wrong grant_type", async () => {
    const res = await fetch(`${sandbox.url}/site/oauth2/access_token`, {
      method: "POST",
      headers: { authorization: `JWT ${grantJwt(install)}`, "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials",
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe("unsupported_grant_type");
  });

  it("rejects a request without a JWT", async () => {
    const res = await fetch(`${sandbox.url}/site/oauth2/access_token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=urn%3Abitbucket%3Aoauth2%3Ajwt",
    });
    expect(res.status).toBe(401);
  });
});
