import { mkdir, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import express from "express";
import { createRemoteJWKSet, decodeProtectedHeader, type JWTPayload, jwtVerify } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "./server.ts";
import { commitFiles, eventually, git, removeDir, tempDir, withBearer, workTree } from "./test-support.ts";

const APP_ID = "ari:cloud:ecosystem::app/0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d";
const PUSH = "avi:bitbucket:push:repository";
const INSTALLED = "avi:forge:installed:app";
const UNINSTALLED = "avi:forge:uninstalled:app";

const MANIFEST = `app:
  id: ${APP_ID}
modules:
  trigger:
    - key: hoist-push
      endpoint: hoist-push-events
      events:
        - ${PUSH}
    - key: hoist-lifecycle
      endpoint: hoist-lifecycle-events
      events:
        - ${INSTALLED}
        - ${UNINSTALLED}
  endpoint:
    - key: hoist-panel
      remote: hoist
      auth:
        appUserToken:
          enabled: true
        appSystemToken:
          enabled: true
    - key: hoist-push-events
      remote: hoist
      route:
        path: /forge/events/push
      auth:
        appSystemToken:
          enabled: true
    - key: hoist-lifecycle-events
      remote: hoist
      route:
        path: /forge/events/lifecycle
      auth:
        appSystemToken:
          enabled: true
  bitbucket:repoMainMenuPage:
    - key: hoist-deploys
      title: Deploys
      resource: panel
      resolver:
        endpoint: hoist-panel
  bitbucket:repoCodeOverviewCard:
    - key: hoist-overview
      title: Hoist
      resource: panel
      resolver:
        endpoint: hoist-panel
  bitbucket:repoSettingsMenuPage:
    - key: hoist-settings
      title: Hoist settings
      resource: panel
      resolver:
        endpoint: hoist-panel
resources:
  - key: panel
    path: static/panel
remotes:
  - key: hoist
    baseUrl: https://hoist.example.com
permissions:
  scopes:
    - read:repository:bitbucket
`;

const INDEX_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <script type="module" crossorigin src="./assets/index-abc123.js"></script>
  </head>
  <body><div id="root"></div></body>
</html>`;

interface Recorded {
  path: string;
  method: string;
  headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the sandbox sent
  body: any;
  claims?: JWTPayload & Record<string, unknown>;
  verifyError?: string;
}

/** A tiny Forge Remote: verifies every FIT against the sandbox's JWKS and records what it got. */
async function startRemote(jwksUrl: () => string) {
  const app = express();
  const received: Recorded[] = [];
  const answers: number[] = [];
  app.use(express.json());
  app.all(/.*/, async (req, res) => {
    const token = /^Bearer (.+)$/.exec(req.get("authorization") ?? "")?.[1] ?? "";
    const record: Recorded = { path: req.path, method: req.method, headers: req.headers, body: req.body };
    try {
      // A fresh key set per request: rotation tests must not depend on a cache.
      const keys = createRemoteJWKSet(new URL(jwksUrl()), { cooldownDuration: 0 });
      const { payload } = await jwtVerify(token, keys, { algorithms: ["RS256"], issuer: "forge/invocation-token", audience: APP_ID });
      record.claims = payload as Recorded["claims"];
    } catch (err) {
      record.verifyError = (err as Error).message;
    }
    received.push(record);
    const status = req.path.startsWith("/forge/events/") ? (answers.shift() ?? 200) : !record.claims ? 401 : req.path === "/forge/api/teapot" ? 418 : 200;
    res.status(status).json(req.path.startsWith("/forge/api/") ? { seen: req.path, method: req.method, body: req.body ?? null } : {});
  });
  const server: Server = createServer(app);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    answers,
    events: (eventType: string) => received.filter((r) => r.body?.eventType === eventType),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe("the sandbox playing Forge", () => {
  let dir: string;
  let sandbox: Sandbox;
  let remote: Awaited<ReturnType<typeof startRemote>>;
  let manifestPath: string;
  let site: { uuid: string; cloneUrl: string };
  let other: { uuid: string; cloneUrl: string };
  let secret: { uuid: string; cloneUrl: string };

  beforeEach(async () => {
    dir = await tempDir("sandbox-forge-");
    sandbox = await startSandbox({ dataDir: join(dir, "data") });
    remote = await startRemote(() => sandbox.forgeJwksUrl);
    manifestPath = join(dir, "app", "manifest.yml");
    await mkdir(join(dir, "app", "static", "panel", "assets"), { recursive: true });
    await writeFile(manifestPath, MANIFEST);
    await writeFile(join(dir, "app", "static", "panel", "index.html"), INDEX_HTML);
    await writeFile(join(dir, "app", "static", "panel", "assets", "index-abc123.js"), "console.log('panel');\n");
    site = await sandbox.createRepo("acme", "site");
    other = await sandbox.createRepo("acme", "other");
    secret = await sandbox.createRepo("beta", "secret");
    sandbox.createUser("reader", "Rita Reader");
    sandbox.setRepoPermission("acme", "site", "reader", "read");
  });
  afterEach(async () => {
    await sandbox.close();
    await remote.close();
    await removeDir(dir);
  });

  const install = () => sandbox.installForgeApp({ manifestPath, workspace: "acme", remoteBaseUrl: remote.url });
  const acmeUuid = () => sandbox.createWorkspace("acme").uuid;

  async function push(cloneUrl: string, files: Record<string, string>, message: string, ...refs: string[]) {
    const tree = join(dir, "work", String(Math.random()).slice(2));
    await workTree(tree);
    const hash = await commitFiles(tree, files, message);
    for (const ref of refs.filter((r) => r.startsWith("refs/tags/"))) await git(tree, "tag", ref.slice("refs/tags/".length));
    await git(tree, "push", "--quiet", cloneUrl, ...(refs.length ? refs : ["main"]));
    return hash;
  }

  it("publishes its keys, installs per workspace and delivers the installed event with a FIT that verifies", async () => {
    const jwks = (await (await fetch(sandbox.forgeJwksUrl)).json()) as { keys: Record<string, string>[] };
    expect(sandbox.forgeJwksUrl).toBe(`${sandbox.url}/forge/.well-known/jwks.json`);
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig", kid: expect.any(String), n: expect.any(String), e: "AQAB" });

    const { installationId, appId } = await install();
    expect(appId).toBe(APP_ID);
    expect(installationId).toMatch(/^ari:cloud:ecosystem::installation\/[0-9a-f-]{36}$/);
    expect(sandbox.forgeInstallations()).toEqual([expect.objectContaining({ installationId, appId, workspace: "acme", workspaceUuid: acmeUuid(), remoteBaseUrl: remote.url })]);

    const [event] = remote.events(INSTALLED);
    expect(remote.events(INSTALLED)).toHaveLength(1);
    expect(event?.path).toBe("/forge/events/lifecycle");
    expect(event?.verifyError).toBeUndefined();
    expect(event?.body).toEqual({ eventType: INSTALLED, context: { workspaceId: acmeUuid() }, installerAccountId: sandbox.users()[0]?.accountId });
    expect(event?.claims).toMatchObject({
      iss: "forge/invocation-token",
      aud: APP_ID,
      app: { id: APP_ID, installationId, apiBaseUrl: sandbox.url, environment: { type: "DEVELOPMENT" }, module: { key: "hoist-lifecycle" } },
      context: { workspaceId: acmeUuid() },
    });
    expect(event?.claims?.principal).toBeUndefined();
    const { exp = 0, iat = 0, nbf } = event?.claims ?? {};
    expect([exp - iat, nbf]).toEqual([60, iat]);
    expect(typeof event?.headers["x-forge-oauth-system"]).toBe("string");
    expect(decodeProtectedHeader(String(event?.headers.authorization).slice(7))).toEqual({ alg: "RS256", kid: jwks.keys[0]?.kid, typ: "JWT" });
  });

  it("turns a git push into one event per ref whose system token opens that workspace only", async () => {
    await install();
    const hash = await push(site.cloneUrl, { "index.html": "<h1>hi</h1>" }, "first page", "main", "refs/tags/v1");
    await sandbox.settled();

    const events = remote.events(PUSH);
    expect(events).toHaveLength(2);
    const main = events.find((e) => e.body.ref.name === "main");
    const [firstUser] = sandbox.users();
    expect(main?.path).toBe("/forge/events/push");
    expect(main?.body).toEqual({
      eventType: PUSH,
      actor: { type: "user", accountId: firstUser?.accountId, uuid: firstUser?.uuid },
      workspace: { uuid: acmeUuid() },
      repository: { uuid: site.uuid },
      project: { uuid: expect.stringMatching(/^\{[0-9a-f-]{36}\}$/) },
      ref: { type: "branch", name: "main" },
      before: null,
      after: hash,
      created: true,
      closed: false,
      forced: false,
      truncated: false,
      commits: [{ hash, message: "first page\n" }],
    });
    expect(events.find((e) => e.body.ref.name === "v1")?.body).toMatchObject({ ref: { type: "tag", name: "v1" }, after: hash, created: true });
    expect(main?.verifyError).toBeUndefined();
    expect(main?.claims).toMatchObject({ app: { module: { key: "hoist-push", type: "core:trigger" } }, context: { workspaceId: acmeUuid() } });
    expect(main?.claims?.principal).toBeUndefined();
    expect(sandbox.forgeDeliveries().filter((d) => d.eventType === PUSH)).toEqual(
      expect.arrayContaining([{ eventType: PUSH, url: `${remote.url}/forge/events/push`, status: 200, attempt: 1, repository: "acme/site", ref: "main", after: hash }]),
    );

    const system = withBearer(sandbox.url, String(main?.headers["x-forge-oauth-system"]));
    expect((await system(`/acme/site/get/${hash}.tar.gz`)).status).toBe(200);
    const status = { key: "hoist", state: "SUCCESSFUL", url: "https://example.com/deploys/1", name: "Hoist" };
    expect((await system(`/2.0/repositories/acme/site/commit/${hash}/statuses/build`, { method: "POST", body: JSON.stringify(status) })).status).toBe(201);
    expect(await sandbox.statuses("acme", "site", hash)).toEqual([expect.objectContaining({ key: "hoist", state: "SUCCESSFUL" })]);
    // By UUID, as Forge names repositories.
    const byUuid = await system(`/2.0/repositories/${encodeURIComponent(acmeUuid())}/${encodeURIComponent(site.uuid)}`);
    expect(byUuid.status).toBe(200);
    expect(await byUuid.json()).toMatchObject({ full_name: "acme/site", slug: "site", uuid: site.uuid, workspace: { slug: "acme", uuid: acmeUuid() }, mainbranch: { name: "main" } });
    const listed = (await (await system("/2.0/repositories/acme")).json()) as { values: { slug: string }[] };
    expect(listed.values.map((r) => r.slug)).toEqual(["other", "site"]);

    // Nothing in another workspace, by slug or by UUID, not even under its own workspace's UUID.
    const betaHash = await push(secret.cloneUrl, { "index.html": "beta" }, "beta");
    await sandbox.settled();
    expect(remote.events(PUSH)).toHaveLength(2); // no app in beta: no events
    expect((await system(`/beta/secret/get/${betaHash}.tar.gz`)).status).toBe(401);
    expect((await system(`/2.0/repositories/beta/secret/commit/${betaHash}/statuses/build`, { method: "POST", body: JSON.stringify(status) })).status).toBe(401);
    const betaUuid = sandbox.createWorkspace("beta").uuid;
    expect((await system(`/2.0/repositories/${encodeURIComponent(betaUuid)}/${encodeURIComponent(secret.uuid)}`)).status).toBe(401);
    expect((await system(`/2.0/repositories/${encodeURIComponent(acmeUuid())}/${encodeURIComponent(secret.uuid)}`)).status).toBe(404);
    expect((await system("/2.0/repositories/beta")).status).toBe(200);
    expect(((await (await system("/2.0/repositories/beta")).json()) as { values: unknown[] }).values).toEqual([]);
    expect((await system("/2.0/user")).status).toBe(401);
  });

  it("retries an event the remote answers 500 twice, with the same body and a fresh FIT", async () => {
    await install();
    remote.answers.push(500, 500);
    const hash = await push(site.cloneUrl, { "a.txt": "a" }, "a");
    await sandbox.settled();
    const attempts = sandbox.forgeDeliveries().filter((d) => d.eventType === PUSH);
    expect(attempts.map((d) => [d.attempt, d.status, d.after])).toEqual([
      [1, 500, hash],
      [2, 500, hash],
      [3, 200, hash],
    ]);
    const received = remote.events(PUSH);
    expect(received).toHaveLength(3);
    expect(new Set(received.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(new Set(received.map((r) => r.claims?.jti)).size).toBe(3);
  });

  it("delivers every event twice with the duplicateEvents fault", async () => {
    await install();
    sandbox.faults = { forge: { duplicateEvents: true } };
    await push(site.cloneUrl, { "a.txt": "a" }, "a");
    await sandbox.settled();
    expect(remote.events(PUSH)).toHaveLength(2);
    expect(sandbox.forgeDeliveries().filter((d) => d.eventType === PUSH && d.status === 200)).toHaveLength(2);
  });

  it("gives up after four retries on a remote that is not there, and settled() waits for them", async () => {
    await sandbox.installForgeApp({ manifestPath, workspace: "acme", remoteBaseUrl: "http://127.0.0.1:9" });
    await sandbox.settled();
    const attempts = sandbox.forgeDeliveries().filter((d) => d.eventType === INSTALLED);
    expect(attempts.map((d) => d.attempt)).toEqual([1, 2, 3, 4, 5]);
    expect(attempts.every((d) => d.status === undefined && typeof d.error === "string")).toBe(true);
  });

  it("rotates its key: without keepOld old FITs stop verifying, with keepOld they still do", async () => {
    await install();
    const verify = async (token: string) => {
      try {
        await jwtVerify(token, createRemoteJWKSet(new URL(sandbox.forgeJwksUrl)), { algorithms: ["RS256"], issuer: "forge/invocation-token", audience: APP_ID });
        return true;
      } catch {
        return false;
      }
    };
    const first = await sandbox.forgeToken({ workspace: "acme" });
    expect(await verify(first)).toBe(true);
    await sandbox.rotateForgeKey({ keepOld: true });
    const second = await sandbox.forgeToken({ workspace: "acme" });
    expect(decodeProtectedHeader(second).kid).not.toBe(decodeProtectedHeader(first).kid);
    expect([await verify(first), await verify(second)]).toEqual([true, true]);
    await sandbox.rotateForgeKey();
    const third = await sandbox.forgeToken({ workspace: "acme" });
    expect([await verify(first), await verify(second), await verify(third)]).toEqual([false, false, true]);
    const jwks = (await (await fetch(sandbox.forgeJwksUrl)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual([decodeProtectedHeader(third).kid]);
  });

  it("signs what forgeToken is asked for: overrides, principal and module context", async () => {
    const { installationId } = await install();
    const overridden = await sandbox.forgeToken({ workspace: "acme", overrides: { aud: "somebody-else" } });
    const payload = JSON.parse(Buffer.from(overridden.split(".")[1] ?? "", "base64url").toString());
    expect(payload.aud).toBe("somebody-else");
    const reader = sandbox.users().find((u) => u.nickname === "reader");
    const ui = await sandbox.forgeToken({ workspace: "acme", user: "reader", repo: "site", moduleKey: "hoist-settings" });
    const { payload: claims } = await jwtVerify(ui, createRemoteJWKSet(new URL(sandbox.forgeJwksUrl)), { audience: APP_ID, issuer: "forge/invocation-token" });
    expect(claims).toMatchObject({
      principal: reader?.uuid,
      app: { installationId, module: { key: "hoist-settings", type: "bitbucket:repoSettingsMenuPage" } },
      context: { workspaceId: acmeUuid(), moduleKey: "hoist-settings", extension: { type: "bitbucket:repoSettingsMenuPage", repository: { uuid: site.uuid } } },
    });
    await expect(sandbox.forgeToken({ workspace: "beta" })).rejects.toThrow(/no Forge app is installed/);
  });

  it("invokes the remote as a user: FIT with principal, a user token that sees only what the user may", async () => {
    await install();
    const result = await sandbox.forgeInvoke({ workspace: "acme", repo: "site", user: "reader", path: "/forge/api/sites/acme/site/deploys?x=1", method: "POST", body: { a: 1 } });
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ seen: "/forge/api/sites/acme/site/deploys", method: "POST", body: { a: 1 } });
    expect(result.headers["content-type"]?.[0]).toMatch(/application\/json/);
    const call = remote.received.at(-1);
    const reader = sandbox.users().find((u) => u.nickname === "reader");
    expect(call?.verifyError).toBeUndefined();
    expect(call?.claims).toMatchObject({
      principal: reader?.uuid,
      app: { module: { key: "hoist-deploys", type: "bitbucket:repoMainMenuPage" } },
      context: { workspaceId: acmeUuid(), moduleKey: "hoist-deploys", extension: { type: "bitbucket:repoMainMenuPage", repository: { uuid: site.uuid } } },
    });
    expect(typeof call?.headers["x-forge-oauth-system"]).toBe("string");

    const asReader = withBearer(sandbox.url, String(call?.headers["x-forge-oauth-user"]));
    expect(await (await asReader("/2.0/user")).json()).toMatchObject({ uuid: reader?.uuid, nickname: "reader" });
    const perms = (await (await asReader(`/2.0/user/permissions/repositories?q=${encodeURIComponent('repository.full_name="acme/site"')}`)).json()) as {
      values: { permission: string }[];
    };
    expect(perms.values.map((p) => p.permission)).toEqual(["read"]);
    const all = (await (await asReader("/2.0/user/permissions/repositories")).json()) as { values: { repository: { full_name: string } }[] };
    expect(all.values.map((p) => p.repository.full_name)).toEqual(["acme/site"]);
    expect((await asReader(`/2.0/repositories/${encodeURIComponent(acmeUuid())}/${encodeURIComponent(site.uuid)}`)).status).toBe(200);
    expect((await asReader("/2.0/repositories/acme/other")).status).toBe(404);
    const listed = (await (await asReader("/2.0/repositories/acme")).json()) as { values: { slug: string }[] };
    expect(listed.values.map((r) => r.slug)).toEqual(["site"]);
    // Read, not write: no build statuses.
    const commit = await push(site.cloneUrl, { "a.txt": "a" }, "a");
    const status = { key: "k", state: "SUCCESSFUL", url: "https://example.com/" };
    expect((await asReader(`/2.0/repositories/acme/site/commit/${commit}/statuses/build`, { method: "POST", body: JSON.stringify(status) })).status).toBe(403);

    // The fault switch, then the uninstall, shut the tokens out.
    sandbox.faults = { forge: { rejectProductTokens: true } };
    expect((await asReader("/2.0/user")).status).toBe(401);
    sandbox.faults = {};
    expect((await asReader("/2.0/user")).status).toBe(200);
    await sandbox.uninstallForgeApp({ workspace: "acme" });
    expect(remote.events(UNINSTALLED)).toHaveLength(1);
    expect(remote.events(UNINSTALLED)[0]?.verifyError).toBeUndefined();
    expect((await asReader("/2.0/user")).status).toBe(401);
    expect(sandbox.forgeInstallations()).toEqual([]);
  });

  it("answers non-2xx invocations as results and refuses unknown modules and users", async () => {
    await install();
    const result = await sandbox.forgeInvoke({ workspace: "acme", repo: "site", path: "/forge/api/teapot", method: "GET" });
    expect(result.status).toBe(418);
    expect(result.body).toMatchObject({ seen: "/forge/api/teapot", method: "GET" });
    await expect(sandbox.forgeInvoke({ workspace: "acme", repo: "site", path: "https://elsewhere.example/", method: "GET" })).rejects.toThrow(/absolute/);
    await expect(sandbox.forgeInvoke({ workspace: "acme", repo: "site", user: "nobody", path: "/forge/api/x", method: "GET" })).rejects.toThrow(/no user/);
    await expect(sandbox.forgeInvoke({ workspace: "acme", repo: "site", moduleKey: "hoist-push", path: "/x", method: "GET" })).rejects.toThrow(/no UI module/);
  });

  it("puts the Custom UI on the repository page, with the bridge first in the served index.html", async () => {
    await install();
    const page = await (await fetch(`${sandbox.url}/acme/site?as=reader`)).text();
    const card = /<iframe class="forge-frame" data-forge="([^"]+)" data-module="hoist-overview"[^>]* src="([^"]+)"/.exec(page);
    expect(card).not.toBeNull();
    const frame = JSON.parse(unescapeHtml(card?.[1] ?? ""));
    const reader = sandbox.users().find((u) => u.nickname === "reader");
    expect(frame).toMatchObject({
      workspace: "acme",
      repo: "site",
      moduleKey: "hoist-overview",
      user: "reader",
      context: { accountId: reader?.uuid, moduleKey: "hoist-overview", workspaceId: acmeUuid(), extension: { type: "bitbucket:repoCodeOverviewCard", repository: { uuid: site.uuid } } },
    });
    expect(page).toContain('<a href="/acme/site/forge/hoist-deploys?as=reader">Deploys</a>');
    expect(page).toContain('<a href="/acme/site/forge/hoist-settings?as=reader">Hoist settings</a>');

    const index = await fetch(`${sandbox.url}${card?.[2]}`);
    expect(index.status).toBe(200);
    const text = await index.text();
    const firstScript = /<script[^>]*>/.exec(text)?.[0];
    expect(firstScript).toBe('<script data-forge-bridge src="/forge/bridge.js">');
    expect(text.indexOf(firstScript ?? "")).toBeLessThan(text.indexOf('<script type="module"'));
    const bridge = await fetch(`${sandbox.url}/forge/bridge.js`);
    expect(bridge.headers.get("content-type")).toMatch(/javascript/);
    expect(await bridge.text()).toContain("globalThis.__bridge = {");
    const asset = await fetch(new URL("./assets/index-abc123.js", `${sandbox.url}${card?.[2]}`));
    expect([asset.status, await asset.text()]).toEqual([200, "console.log('panel');\n"]);
    for (const sneaky of ["..%2F..%2F..%2F..%2Fdata%2Fstate.json", "%2e%2e/%2e%2e/%2e%2e/%2e%2e/data/state.json", "..%2Findex.html"]) {
      const res = await fetch(`${sandbox.url}${card?.[2]?.replace("index.html", sneaky)}`);
      expect([sneaky, res.status]).toEqual([sneaky, 404]);
    }

    const deploys = await (await fetch(`${sandbox.url}/acme/site/forge/hoist-deploys`)).text();
    expect(deploys).toMatch(/<iframe class="forge-frame"[^>]*data-module="hoist-deploys"[^>]*style="width:100%/);
    expect(deploys).toContain(`&quot;accountId&quot;:&quot;${sandbox.users()[0]?.uuid}&quot;`);
    expect((await fetch(`${sandbox.url}/acme/site/forge/nope`)).status).toBe(404);
    expect((await fetch(`${sandbox.url}/acme/site?as=nobody`)).status).toBe(400);

    // What the page's bridge does for `invoke`.
    const res = await fetch(`${sandbox.url}/forge/invoke`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...frame, context: undefined, request: { path: "/forge/api/hello", method: "GET", invokeType: "ui-remote-fetch" } }),
    });
    expect(await res.json()).toMatchObject({ success: true, payload: { status: 200, body: { seen: "/forge/api/hello" } } });
    await eventually(() => remote.received.find((r) => r.path === "/forge/api/hello"));
    expect(remote.received.find((r) => r.path === "/forge/api/hello")?.claims).toMatchObject({ principal: reader?.uuid, context: { moduleKey: "hoist-overview" } });
  });

  it("keeps a page without a Forge app free of Forge frames", async () => {
    const page = await (await fetch(`${sandbox.url}/acme/site`)).text();
    expect(page).not.toContain("forge-frame");
    expect(other.uuid).toMatch(/^\{/);
  });

  it("drives installs and uninstalls over the admin API", async () => {
    const created = await fetch(`${sandbox.url}/_sandbox/forge/installations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ manifestPath, workspace: "acme", remoteBaseUrl: remote.url }),
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ appId: APP_ID, installationId: expect.stringMatching(/^ari:/) });
    expect(await (await fetch(`${sandbox.url}/_sandbox/forge/installations`)).json()).toHaveLength(1);
    expect((await fetch(`${sandbox.url}/_sandbox/forge/installations/acme`, { method: "DELETE" })).status).toBe(204);
    expect(remote.events(UNINSTALLED)).toHaveLength(1);
    expect((await fetch(`${sandbox.url}/_sandbox/forge/installations/acme`, { method: "DELETE" })).status).toBe(404);
  });
});

function unescapeHtml(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}
