import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "./server.ts";
import { type ConsumerCredentials, authorize, removeDir, signIn, tempDir, tokenRequest, withBearer } from "./test-support.ts";

const CALLBACK = "http://127.0.0.1:4000/auth/bitbucket/callback";

describe("OAuth 2.0 authorization code flow (/site/oauth2/authorize, /site/oauth2/access_token)", () => {
  let sandbox: Sandbox;
  let dir: string;
  let consumer: ConsumerCredentials;

  beforeEach(async () => {
    dir = await tempDir("sandbox-oauth-code-");
    sandbox = await startSandbox({ dataDir: dir, tokenTtlSeconds: 120 });
    sandbox.createUser("alice", "Alice Liddell");
    consumer = sandbox.createOAuthConsumer({ name: "Hoist <dashboard>", callbackUrl: CALLBACK });
  });
  afterEach(async () => {
    await sandbox.close();
    await removeDir(dir);
  });

  const consentPage = (query: Record<string, string>) => fetch(`${sandbox.url}/site/oauth2/authorize?${new URLSearchParams(query)}`, { redirect: "manual" });
  const codeFor = async (user = "alice", state?: string) => {
    const callback = await authorize(sandbox.url, consumer.key, { user, state });
    return callback.searchParams.get("code") ?? "";
  };

  it("shows a consent page naming the consumer and its scopes, with a user picker and both buttons", async () => {
    const res = await consentPage({ client_id: consumer.key, response_type: "code", state: 'x"><script>alert(1)</script>' });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    expect(res.headers.get("content-security-policy")).toMatch(/default-src 'none'/);
    const page = await res.text();
    expect(page).toContain("Hoist &lt;dashboard&gt;");
    expect(page).not.toContain("<dashboard>");
    expect(page).not.toContain("<script>");
    expect(page).toContain('value="x&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    for (const scope of ["account", "repository", "repository:write", "repository:admin", "webhook"]) expect(page).toContain(`data-scope="${scope}"`);
    expect(page).toMatch(/<label for="user">Sign in as<\/label>\s*<select id="user" name="user">/);
    expect(page).toContain('<option value="sandbox-user">');
    expect(page).toContain('<option value="alice">Alice Liddell (alice)</option>');
    expect(page).toContain(`<input type="hidden" name="client_id" value="${consumer.key}">`);
    expect(page).toContain('<button type="submit" name="decision" value="grant">Grant access</button>');
    expect(page).toContain('<button type="submit" name="decision" value="deny">Deny</button>');
  });

  it("refuses an unknown client_id, another response_type and a foreign redirect_uri with a 400 page, never redirecting", async () => {
    const cases: Record<string, string>[] = [
      { client_id: "nobody", response_type: "code" },
      { client_id: consumer.key, response_type: "token" },
      { client_id: consumer.key, response_type: "code", redirect_uri: "http://evil.test/steal" },
      { client_id: consumer.key, response_type: "code", redirect_uri: `${CALLBACK}/more` },
    ];
    for (const query of cases) {
      const res = await consentPage(query);
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(res.headers.get("location")).toBeNull();
      expect(await res.text()).toContain("Authorization failed");
    }
    const posted = await fetch(`${sandbox.url}/site/oauth2/authorize`, {
      method: "POST",
      redirect: "manual",
      body: new URLSearchParams({ client_id: consumer.key, response_type: "code", redirect_uri: "http://evil.test/", user: "alice", decision: "grant" }),
    });
    expect(posted.status).toBe(400);
    expect(posted.headers.get("location")).toBeNull();
  });

  it("accepts the consumer's own callback URL as redirect_uri", async () => {
    const res = await consentPage({ client_id: consumer.key, response_type: "code", redirect_uri: CALLBACK });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(`name="redirect_uri" value="${CALLBACK}"`);
  });

  it("redirects a grant to the callback with code and state, and trades the code for tokens", async () => {
    const callback = await authorize(sandbox.url, consumer.key, { user: "alice", state: "s-123" });
    expect(`${callback.origin}${callback.pathname}`).toBe(CALLBACK);
    expect(callback.searchParams.get("state")).toBe("s-123");
    const code = callback.searchParams.get("code");
    expect(code).toEqual(expect.any(String));

    const res = await tokenRequest(sandbox.url, consumer, { grant_type: "authorization_code", code: code ?? "" });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = await res.json();
    const scopes = "account repository repository:write repository:admin webhook";
    expect(body).toEqual({ access_token: expect.any(String), token_type: "bearer", expires_in: 120, refresh_token: expect.any(String), scope: scopes, scopes });

    const me = await withBearer(sandbox.url, body.access_token)("/2.0/user");
    expect(me.status).toBe(200);
    expect((await me.json()).nickname).toBe("alice");
  });

  it("takes client credentials in the form as well as HTTP Basic", async () => {
    const res = await tokenRequest(sandbox.url, undefined, {
      grant_type: "authorization_code",
      code: await codeFor(),
      client_id: consumer.key,
      client_secret: consumer.secret,
    });
    expect(res.status).toBe(200);
  });

  it("redirects a denial with error=access_denied and the state, and no code", async () => {
    const callback = await authorize(sandbox.url, consumer.key, { user: "alice", decision: "deny", state: "s-9" });
    expect(callback.searchParams.get("error")).toBe("access_denied");
    expect(callback.searchParams.get("error_description")).toEqual(expect.any(String));
    expect(callback.searchParams.get("state")).toBe("s-9");
    expect(callback.searchParams.has("code")).toBe(false);
  });

  it("spends a code on its first exchange: the second is invalid_grant", async () => {
    const code = await codeFor();
    expect((await tokenRequest(sandbox.url, consumer, { grant_type: "authorization_code", code })).status).toBe(200);
    const again = await tokenRequest(sandbox.url, consumer, { grant_type: "authorization_code", code });
    expect(again.status).toBe(400);
    expect((await again.json()).error).toBe("invalid_grant");
  });

  it("refuses a wrong client secret (401 invalid_client) without spending the code", async () => {
    const code = await codeFor();
    const wrong = await tokenRequest(sandbox.url, { key: consumer.key, secret: "not-the-secret" }, { grant_type: "authorization_code", code });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toMatch(/^Basic/);
    expect(await wrong.json()).toMatchObject({ error: "invalid_client", error_description: expect.any(String) });
    const none = await tokenRequest(sandbox.url, undefined, { grant_type: "authorization_code", code });
    expect(none.status).toBe(401);
    expect((await tokenRequest(sandbox.url, consumer, { grant_type: "authorization_code", code })).status).toBe(200);
  });

  it("refuses a code issued to another consumer", async () => {
    const other = sandbox.createOAuthConsumer({ callbackUrl: "http://127.0.0.1:4001/cb" });
    const res = await tokenRequest(sandbox.url, other, { grant_type: "authorization_code", code: await codeFor() });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe("invalid_grant");
  });

  it("refuses an exchange whose redirect_uri differs from the authorization request's", async () => {
    const callback = await authorize(sandbox.url, consumer.key, { user: "alice", redirectUri: CALLBACK });
    const code = callback.searchParams.get("code") ?? "";
    const wrong = await tokenRequest(sandbox.url, consumer, { grant_type: "authorization_code", code, redirect_uri: "http://127.0.0.1:4000/other" });
    expect(wrong.status).toBe(400);
    expect((await wrong.json()).error).toBe("invalid_grant");
    const right = await tokenRequest(sandbox.url, consumer, { grant_type: "authorization_code", code, redirect_uri: CALLBACK });
    expect(right.status).toBe(200);
  });

  it("refuses unknown codes, missing codes and unsupported grant types", async () => {
    const unknown = await tokenRequest(sandbox.url, consumer, { grant_type: "authorization_code", code: "made-up" });
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).error).toBe("invalid_grant");
    const missing = await tokenRequest(sandbox.url, consumer, { grant_type: "authorization_code" });
    expect((await missing.json()).error).toBe("invalid_request");
    const password = await tokenRequest(sandbox.url, consumer, { grant_type: "password", username: "alice", password: "x" });
    expect(password.status).toBe(400);
    expect((await password.json()).error).toBe("unsupported_grant_type");
  });

  it("rotates refresh tokens: each use gives a new one and the old one stops working", async () => {
    const first = await signIn(sandbox.url, consumer, "alice");
    const refreshed = await tokenRequest(sandbox.url, consumer, { grant_type: "refresh_token", refresh_token: first.refresh_token });
    expect(refreshed.status).toBe(200);
    expect(refreshed.headers.get("cache-control")).toBe("no-store");
    const second = await refreshed.json();
    expect(second.refresh_token).toEqual(expect.any(String));
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    expect(second.scopes).toBe(first.scopes);
    expect((await withBearer(sandbox.url, second.access_token)("/2.0/user")).status).toBe(200);

    const reused = await tokenRequest(sandbox.url, consumer, { grant_type: "refresh_token", refresh_token: first.refresh_token });
    expect(reused.status).toBe(400);
    expect((await reused.json()).error).toBe("invalid_grant");
    expect((await tokenRequest(sandbox.url, consumer, { grant_type: "refresh_token", refresh_token: second.refresh_token })).status).toBe(200);
  });

  it("lets exactly one of two concurrent refreshes with the same token succeed", async () => {
    const { refresh_token } = await signIn(sandbox.url, consumer, "alice");
    const answers = await Promise.all([1, 2].map(() => tokenRequest(sandbox.url, consumer, { grant_type: "refresh_token", refresh_token })));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 400]);
  });

  it("refuses a refresh token presented by another consumer", async () => {
    const { refresh_token } = await signIn(sandbox.url, consumer, "alice");
    const other = sandbox.createOAuthConsumer({ callbackUrl: "http://127.0.0.1:4001/cb" });
    const res = await tokenRequest(sandbox.url, other, { grant_type: "refresh_token", refresh_token });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe("invalid_grant");
  });

  it("keeps refresh tokens across a restart (access tokens are not kept)", async () => {
    const tokens = await signIn(sandbox.url, consumer, "alice");
    await sandbox.close();
    sandbox = await startSandbox({ dataDir: dir, tokenTtlSeconds: 120 });
    expect((await withBearer(sandbox.url, tokens.access_token)("/2.0/user")).status).toBe(401);
    const res = await tokenRequest(sandbox.url, consumer, { grant_type: "refresh_token", refresh_token: tokens.refresh_token });
    expect(res.status).toBe(200);
  });

  it("revoking a user's grants stops their access tokens, refresh tokens and unspent codes", async () => {
    const tokens = await signIn(sandbox.url, consumer, "alice");
    const code = await codeFor();
    const mine = await signIn(sandbox.url, consumer, "sandbox-user");
    sandbox.revokeUserGrants("alice");

    const me = await withBearer(sandbox.url, tokens.access_token)("/2.0/user");
    expect(me.status).toBe(401);
    expect(await me.json()).toMatchObject({ type: "error", error: { message: expect.any(String) } });
    const refreshed = await tokenRequest(sandbox.url, consumer, { grant_type: "refresh_token", refresh_token: tokens.refresh_token });
    expect(refreshed.status).toBe(400);
    expect((await refreshed.json()).error).toBe("invalid_grant");
    expect((await tokenRequest(sandbox.url, consumer, { grant_type: "authorization_code", code })).status).toBe(400);
    expect((await withBearer(sandbox.url, mine.access_token)("/2.0/user")).status).toBe(200);
    // Signing in again works: the revocation is of grants, not of the user.
    expect((await signIn(sandbox.url, consumer, "alice")).access_token).toEqual(expect.any(String));
  });

  it("still sends the Connect JWT grant to JWT checks, whatever consumers exist", async () => {
    const res = await tokenRequest(sandbox.url, undefined, { grant_type: "urn:bitbucket:oauth2:jwt" });
    expect(res.status).toBe(401);
    expect((await res.json()).error).toBe("invalid_client");
  });

  it("returns the existing consumer for the same name, callback URL and scopes", async () => {
    expect(sandbox.createOAuthConsumer({ name: "Hoist <dashboard>", callbackUrl: CALLBACK })).toEqual(consumer);
    expect(sandbox.createOAuthConsumer({ name: "Another app", callbackUrl: CALLBACK }).key).not.toBe(consumer.key);
    expect(sandbox.createOAuthConsumer({ name: "Hoist <dashboard>", callbackUrl: CALLBACK, scopes: ["account"] }).key).not.toBe(consumer.key);
    expect(() => sandbox.createOAuthConsumer({ callbackUrl: "not a url" })).toThrow(/OAuth consumer/);
  });

  it("creates consumers and revokes grants over the admin API too", async () => {
    const admin = (method: string, path: string, body?: unknown) =>
      fetch(`${sandbox.url}/_sandbox${path}`, {
        method,
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const created = await admin("POST", "/oauth-consumers", { name: "Via HTTP", callbackUrl: CALLBACK, scopes: ["account"] });
    expect(created.status).toBe(201);
    const httpConsumer = await created.json();
    expect(httpConsumer).toEqual({ key: expect.any(String), secret: expect.any(String) });
    expect((await admin("POST", "/oauth-consumers", { callbackUrl: "javascript:alert(1)" })).status).toBe(400);
    expect((await admin("POST", "/oauth-consumers", { callbackUrl: CALLBACK, scopes: ["everything"] })).status).toBe(400);

    const tokens = await signIn(sandbox.url, httpConsumer, "alice");
    expect(tokens.scopes).toBe("account");
    expect((await admin("DELETE", "/users/alice/grants")).status).toBe(204);
    expect((await withBearer(sandbox.url, tokens.access_token)("/2.0/user")).status).toBe(401);
    expect((await admin("DELETE", "/users/nobody/grants")).status).toBe(404);
  });
});

describe("expired user access tokens", () => {
  it("answers 401 once the token's lifetime is over (tokenTtlSeconds: 0 expires it at once)", async () => {
    const dir = await tempDir("sandbox-oauth-expiry-");
    const sandbox = await startSandbox({ dataDir: dir, tokenTtlSeconds: 0 });
    try {
      const consumer = sandbox.createOAuthConsumer({ callbackUrl: CALLBACK });
      const tokens = await signIn(sandbox.url, consumer, "sandbox-user");
      expect(tokens.expires_in).toBe(0);
      expect((await withBearer(sandbox.url, tokens.access_token)("/2.0/user")).status).toBe(401);
      // The refresh token still works: that is what it is for.
      expect((await tokenRequest(sandbox.url, consumer, { grant_type: "refresh_token", refresh_token: tokens.refresh_token })).status).toBe(200);
    } finally {
      await sandbox.close();
      await removeDir(dir);
    }
  });
});
