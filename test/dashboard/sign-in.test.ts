import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Browser, type DashStack, startDashStack } from "./harness.ts";

/**
 * Sign-in under attack: every way a callback or a cookie can be wrong ends with no session, a page
 * that says what to do, and the dashboard API answering 401.
 */
describe("signing in with Bitbucket, attacked", () => {
  let stack: DashStack;
  let origin: string;

  beforeAll(async () => {
    stack = await startDashStack();
    origin = `http://localhost:${stack.hoist.listening.port}`;
    stack.sandbox.createUser("alice", "Alice Admin");
  });
  afterAll(async () => stack?.close());

  const signedIn = async (b: Browser) => (await b.get(`${origin}/dashboard/api/me`)).status === 200;

  /** Starts sign-in in `browser` and lets `nickname` answer the consent page; returns Bitbucket's redirect back. */
  async function consent(browser: Browser, nickname: string, decision: "grant" | "deny" = "grant"): Promise<URL> {
    const start = await browser.get(`${origin}/auth/bitbucket`);
    const authorize = new URL(start.headers.get("location")!);
    await browser.get(authorize.toString());
    const form = new URLSearchParams({ ...Object.fromEntries(authorize.searchParams), user: nickname, decision });
    const answered = await browser.send(`${stack.sandbox.url}/site/oauth2/authorize`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form.toString() });
    return new URL(answered.headers.get("location")!);
  }

  it("a callback replayed after use (same state and code, even with the state cookie copied) starts no second session", async () => {
    const victim = new Browser(origin);
    const back = await consent(victim, "alice");
    const attacker = new Browser(origin);
    for (const [k, v] of victim.cookies) attacker.cookies.set(k, v); // the state cookie, captured before the callback
    expect((await victim.get(back.toString())).status).toBe(303);
    expect(await signedIn(victim)).toBe(true);

    const replay = await attacker.get(back.toString());
    expect(replay.status).toBe(401);
    expect(replay.body).toContain("Start again from the sign-in button");
    expect(await signedIn(attacker)).toBe(false);
  });

  it("a person who presses Deny on Bitbucket's page is told so and is not signed in", async () => {
    const browser = new Browser(origin);
    const back = await consent(browser, "alice", "deny");
    expect(back.searchParams.get("error")).toBe("access_denied");
    const res = await browser.get(back.toString());
    expect(res.status).toBe(403);
    expect(res.body).toContain("choose Grant access");
    expect(await signedIn(browser)).toBe(false);
  });

  it("a code Bitbucket issued to another app is refused by the token exchange: no session", async () => {
    // Another OAuth consumer's code, obtained by its own consent flow.
    const other = stack.sandbox.createOAuthConsumer({ name: "Someone else", callbackUrl: "http://127.0.0.1:9/elsewhere" });
    const thief = new Browser(stack.sandbox.url);
    const form = new URLSearchParams({ client_id: other.key, response_type: "code", state: "theirs", user: "alice", decision: "grant" });
    const issued = await thief.send(`${stack.sandbox.url}/site/oauth2/authorize`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form.toString() });
    const foreignCode = new URL(issued.headers.get("location")!).searchParams.get("code");
    expect(foreignCode).toBeTruthy();
    // Presented to Hoist's callback with this browser's own, valid state.
    const browser = new Browser(origin);
    const state = new URL((await browser.get(`${origin}/auth/bitbucket`)).headers.get("location")!).searchParams.get("state")!;
    const res = await browser.get(`${origin}/auth/bitbucket/callback?code=${encodeURIComponent(foreignCode!)}&state=${encodeURIComponent(state)}`);
    expect(res.status).toBe(401);
    expect(res.body).toContain("issued to another app");
    expect(await signedIn(browser)).toBe(false);
  });

  it("a session cookie that was signed out, or altered by one character, is refused with 401", async () => {
    const alice = await stack.signIn("alice");
    const copy = new Browser(origin);
    for (const [k, v] of alice.cookies) copy.cookies.set(k, v);
    const [name, value] = [...alice.cookies].find(([k]) => k.endsWith("session"))!;
    const forged = new Browser(origin);
    const flipped = `${value.slice(0, 3)}${value[3] === "A" ? "B" : "A"}${value.slice(4)}`;
    forged.cookies.set(name, flipped);
    expect((await forged.get(`${origin}/dashboard/api/me`)).status).toBe(401);

    expect((await alice.change("POST", "/auth/signout")).status).toBe(204);
    const after = await copy.get(`${origin}/dashboard/api/me`);
    expect([after.status, after.json().error.code]).toEqual([401, "auth.signed_out"]);
  });
});
