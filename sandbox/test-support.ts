/**
 * Test support: a stand-in add-on (an Express app serving a Connect descriptor
 * and recording what "Bitbucket" sends it) and git helpers that drive the real
 * git CLI. Used by sandbox/*.test.ts; not loaded by the sandbox itself.
 */
import { execFile } from "node:child_process";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import * as jwt from "atlassian-jwt";
import express from "express";

const run = promisify(execFile);

export interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON the sandbox sent
  body: any;
  url: string;
}

export interface FakeAddon {
  baseUrl: string;
  descriptorUrl: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests rewrite the descriptor freely
  descriptor: Record<string, any>;
  installs: Received[];
  uninstalls: Received[];
  webhooks: Received[];
  /** Statuses to answer webhook attempts with, consumed in order; then 200. */
  webhookAnswers: number[];
  installAnswer: number;
  close(): Promise<void>;
}

export async function startFakeAddon(opts: { pathPrefix?: string; descriptor?: (base: string) => object } = {}) {
  const app = express();
  const prefix = opts.pathPrefix ?? "";
  const server: Server = createServer(app);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}${prefix}`;
  const addon: FakeAddon = {
    baseUrl,
    descriptorUrl: `${baseUrl}/atlassian-connect.json`,
    descriptor: opts.descriptor ? opts.descriptor(baseUrl) : defaultDescriptor(baseUrl),
    installs: [],
    uninstalls: [],
    webhooks: [],
    webhookAnswers: [],
    installAnswer: 204,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
  const record = (req: express.Request): Received => ({ path: req.path, headers: req.headers, body: req.body, url: req.originalUrl });
  app.use(express.json({ limit: "1mb" }));
  app.get(`${prefix}/atlassian-connect.json`, (_req, res) => res.json(addon.descriptor));
  app.post(`${prefix}/installed`, (req, res) => {
    addon.installs.push(record(req));
    res.status(addon.installAnswer).end();
  });
  app.post(`${prefix}/uninstalled`, (req, res) => {
    addon.uninstalls.push(record(req));
    res.status(204).end();
  });
  // A panel that loads the host's all.js, as a Connect iframe does; 640px tall so resizing shows.
  app.get([`${prefix}/panel`, `${prefix}/page`], (req, res) => {
    const host = String(req.query.xdm_e ?? "");
    res.type("html").send(`<!doctype html><body style="margin:0"><div style="height:640px">panel</div>
<script src="${host}/atlassian-connect/all.js"></script></body>`);
  });
  app.post(`${prefix}/webhook`, (req, res) => {
    addon.webhooks.push(record(req));
    res.status(addon.webhookAnswers.shift() ?? 200).end();
  });
  return addon;
}

export function defaultDescriptor(baseUrl: string) {
  return {
    key: "hoist-test",
    name: "Hoist (test)",
    description: "test add-on",
    baseUrl,
    authentication: { type: "jwt" },
    lifecycle: { installed: "/installed", uninstalled: "/uninstalled" },
    scopes: ["account", "repository"],
    contexts: ["account"],
    modules: {
      webhooks: [{ event: "repo:push", url: "/webhook" }],
      webPanels: [
        {
          key: "hoist-panel",
          name: { value: "Deploys" },
          location: "org.bitbucket.repository.overview.informationPanel",
          url: "/panel?repo={repository.uuid}&name={repository.full_name}&who={user.uuid}&x={nonsense.value}",
        },
      ],
      repoPages: [{ key: "hoist-page", name: { value: "Hoist" }, url: "/page?repo={repository.uuid}" }],
    },
  };
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Runs git in a working tree with a fixed identity; returns trimmed stdout. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: "Ada Lovelace",
    GIT_AUTHOR_EMAIL: "ada@example.com",
    GIT_COMMITTER_NAME: "Ada Lovelace",
    GIT_COMMITTER_EMAIL: "ada@example.com",
    GIT_TERMINAL_PROMPT: "0",
  };
  const { stdout } = await run("git", args, { cwd, env });
  return stdout.trim();
}

/** A fresh working tree on branch main. */
export async function workTree(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await git(dir, "init", "--quiet", "--initial-branch=main");
  return dir;
}

/** Writes files and commits them; returns the commit hash. */
export async function commitFiles(dir: string, files: Record<string, string>, message: string): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  await git(dir, "add", "-A");
  await git(dir, "commit", "--quiet", "-m", message);
  return git(dir, "rev-parse", "HEAD");
}

/** Polls until `check` returns a truthy value (or throws after `ms`). */
export async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The add-on's side of the JWT grant: a token request signed with the shared secret. */
export function grantJwt(
  install: { key: string; clientKey: string; sharedSecret: string },
  overrides: { qshPath?: string; iat?: number; exp?: number; secret?: string } = {},
): string {
  const now = Math.floor(Date.now() / 1000);
  const qshUrl = overrides.qshPath ?? "/site/oauth2/access_token";
  const claims = {
    iss: install.key,
    sub: install.clientKey,
    iat: overrides.iat ?? now,
    exp: overrides.exp ?? now + 180,
    qsh: jwt.createQueryStringHash(jwt.fromMethodAndUrl("POST", qshUrl)),
  };
  return jwt.encodeSymmetric(claims, overrides.secret ?? install.sharedSecret, jwt.SymmetricAlgorithm.HS256);
}

export async function requestToken(sandboxUrl: string, token: string): Promise<Response> {
  return fetch(`${sandboxUrl}/site/oauth2/access_token`, {
    method: "POST",
    headers: { authorization: `JWT ${token}`, "content-type": "application/x-www-form-urlencoded" },
    body: "grant_type=urn%3Abitbucket%3Aoauth2%3Ajwt",
  });
}

/** Installs `addon` and trades a JWT for a bearer token, as Hoist will. */
export async function accessToken(sandboxUrl: string, addon: FakeAddon): Promise<string> {
  const install = addon.installs.at(-1)?.body;
  const res = await requestToken(sandboxUrl, grantJwt(install));
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${await res.text()}`);
  return (await res.json()).access_token;
}

/** An OAuth consumer as createOAuthConsumer returns it. */
export interface ConsumerCredentials {
  key: string;
  secret: string;
}

/**
 * The browser half of the authorization-code flow, as the consent form posts it: returns the
 * callback URL the sandbox redirected to (with `code` or `error`, and `state`).
 */
export async function authorize(
  sandboxUrl: string,
  clientId: string,
  opts: { user?: string; decision?: "grant" | "deny"; state?: string; redirectUri?: string } = {},
): Promise<URL> {
  const form = new URLSearchParams({ client_id: clientId, response_type: "code", user: opts.user ?? "sandbox-user", decision: opts.decision ?? "grant" });
  if (opts.state !== undefined) form.set("state", opts.state);
  if (opts.redirectUri !== undefined) form.set("redirect_uri", opts.redirectUri);
  const res = await fetch(`${sandboxUrl}/site/oauth2/authorize`, { method: "POST", body: form, redirect: "manual" });
  if (res.status !== 302) throw new Error(`authorize answered ${res.status}: ${await res.text()}`);
  return new URL(res.headers.get("location") ?? "");
}

/** POSTs to the token endpoint authenticating the consumer with HTTP Basic (or not at all, with `consumer` undefined). */
export async function tokenRequest(sandboxUrl: string, consumer: ConsumerCredentials | undefined, form: Record<string, string>): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (consumer) headers.authorization = `Basic ${Buffer.from(`${consumer.key}:${consumer.secret}`).toString("base64")}`;
  return fetch(`${sandboxUrl}/site/oauth2/access_token`, { method: "POST", headers, body: new URLSearchParams(form) });
}

export interface UserTokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  token_type: string;
  scope: string;
  scopes: string;
}

/** Signs `user` in to `consumer`: consent, then code for tokens. */
export async function signIn(sandboxUrl: string, consumer: ConsumerCredentials, user: string): Promise<UserTokens> {
  const callback = await authorize(sandboxUrl, consumer.key, { user });
  const code = callback.searchParams.get("code");
  if (!code) throw new Error(`no code in ${callback.href}`);
  const res = await tokenRequest(sandboxUrl, consumer, { grant_type: "authorization_code", code });
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as UserTokens;
}

/** GET (or another method) against the sandbox with a Bearer token. */
export function withBearer(sandboxUrl: string, token: string) {
  return (path: string, init: RequestInit = {}) =>
    fetch(`${sandboxUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.body ? { "content-type": "application/json" } : {}), ...init.headers },
    });
}
