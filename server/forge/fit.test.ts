import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FitVerifier } from "./fit.ts";

/**
 * The FIT checks against a real JWKS served over HTTP (this test plays Forge's key server). Each
 * hostile token must be refused with a sentence that says why, and a good one must pass, so every
 * refusal is a check that would fail if it were removed.
 */

const APP = "ari:cloud:ecosystem::app/6a1f0a2e-0000-4000-8000-000000000001";
const INSTALLATION = "ari:cloud:ecosystem::installation/9b2e3c4d-0000-4000-8000-000000000002";
const WORKSPACE = "{1c9a7c5e-0000-4000-8000-000000000003}";

type Key = { kid: string; privateKey: CryptoKey; jwk: JWK; spki: string };

describe("Forge Invocation Token verification", () => {
  let server: Server;
  let jwksUrl: string;
  let published: Key[] = [];
  let fetches = 0;

  const newKey = async (kid: string): Promise<Key> => {
    const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
    return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" }, spki: await exportSPKI(publicKey) };
  };

  const claims = (over: Record<string, unknown> = {}) => ({
    app: { id: APP, installationId: INSTALLATION, apiBaseUrl: "https://api.example.test/bitbucket", module: { key: "hoist-push" } },
    context: { workspaceId: WORKSPACE },
    ...over,
  });

  const sign = (key: Key, over: Record<string, unknown> = {}, opts: { aud?: string; iss?: string; exp?: number | string } = {}) =>
    new SignJWT(claims(over))
      .setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "JWT" })
      .setIssuer(opts.iss ?? "forge/invocation-token")
      .setAudience(opts.aud ?? APP)
      .setIssuedAt()
      .setExpirationTime(opts.exp ?? "60s")
      .setJti(crypto.randomUUID())
      .sign(key.privateKey);

  const verifier = () => new FitVerifier({ appId: APP, jwksUrl, production: true, cooldownMs: 0 });
  const refusal = async (token: string, v = verifier()) => {
    try {
      await v.verify(`Bearer ${token}`);
      return "accepted";
    } catch (err) {
      return (err as Error).message;
    }
  };
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

  let current: Key;
  beforeAll(async () => {
    current = await newKey("k1");
    published = [current];
    server = createServer((_req, res) => {
      fetches++;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ keys: published.map((k) => k.jwk) }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("accepts Forge's token and keys everything by its installation and workspace", async () => {
    const fit = await verifier().verify(`Bearer ${await sign(current)}`);
    expect(fit).toEqual({ appId: APP, installationId: INSTALLATION, apiBaseUrl: "https://api.example.test/bitbucket", workspaceUuid: WORKSPACE, moduleKey: "hoist-push" });
  });

  it("refuses alg none", async () => {
    const token = `${b64({ alg: "none", typ: "JWT" })}.${b64({ ...claims(), iss: "forge/invocation-token", aud: APP, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 60 })}.`;
    expect(await refusal(token)).toMatch(/not signed with RS256|not valid/);
  });

  it("refuses HS256 'signed' with Forge's public key as the secret", async () => {
    const header = b64({ alg: "HS256", kid: current.kid, typ: "JWT" });
    const payload = b64({ ...claims(), iss: "forge/invocation-token", aud: APP, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 60 });
    const mac = createHmac("sha256", current.spki).update(`${header}.${payload}`).digest("base64url");
    expect(await refusal(`${header}.${payload}.${mac}`)).toMatch(/not signed with RS256/);
  });

  it("refuses a key Forge does not publish (unknown kid, or a known kid with another key)", async () => {
    expect(await refusal(await sign(await newKey("stranger")))).toMatch(/key Forge does not publish/);
    const impostor = await newKey("k1");
    expect(await refusal(await sign(impostor))).toMatch(/signature does not verify/);
  });

  it("refuses another app's token, another issuer, and an expired token", async () => {
    expect(await refusal(await sign(current, {}, { aud: "ari:cloud:ecosystem::app/00000000-0000-4000-8000-000000000000" }))).toMatch(/aud claim/);
    expect(await refusal(await sign(current, {}, { iss: "someone-else" }))).toMatch(/iss claim/);
    expect(await refusal(await sign(current, {}, { exp: Math.floor(Date.now() / 1000) - 120 }))).toMatch(/expired/);
  });

  it("refuses a token naming no workspace, a malformed installation, or http API in production", async () => {
    expect(await refusal(await sign(current, { context: {} }))).toMatch(/context.workspaceId/);
    expect(await refusal(await sign(current, { app: { ...claims().app, installationId: "acme" } }))).toMatch(/installation/);
    expect(await refusal(await sign(current, { app: { ...claims().app, apiBaseUrl: "http://api.example.test" } }))).toMatch(/not https/);
  });

  it("follows a key rotation: a new kid fetches the keys again; a retired key stops working", async () => {
    const v = verifier();
    expect(await refusal(await sign(current), v)).toBe("accepted");
    const before = fetches;
    const next = await newKey("k2");
    const old = current;
    published = [next];
    current = next;
    expect(await refusal(await sign(next), v)).toBe("accepted");
    expect(fetches).toBeGreaterThan(before);
    expect(await refusal(await sign(old), v)).toMatch(/key Forge does not publish/);
  });

  it("refuses a request without a bearer token", async () => {
    await expect(verifier().verify(undefined)).rejects.toThrow(/no Forge Invocation Token/);
    await expect(verifier().verify("JWT abc.def.ghi")).rejects.toThrow(/no Forge Invocation Token/);
  });
});
