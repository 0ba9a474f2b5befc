// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { ApiClient } from "../api/client.ts";
import { ApiRequestError } from "../api/errors.ts";
import { type InvokeRemoteInput, type InvokeRemoteResult, invokeRemoteFetch } from "./invoke-fetch.ts";

/** A fake invokeRemote: records what the panel asked Forge for and answers with `reply`. */
function fake(reply: (input: InvokeRemoteInput) => InvokeRemoteResult) {
  const calls: InvokeRemoteInput[] = [];
  const invoke = async (input: InvokeRemoteInput) => {
    calls.push(input);
    return reply(input);
  };
  return { calls, fetch: invokeRemoteFetch(invoke) };
}

describe("invokeRemoteFetch", () => {
  it("sends a GET as a path and method only, and answers with a real Response", async () => {
    const { calls, fetch } = fake(() => ({ status: 200, headers: { "content-type": ["application/json"], "x-request-id": ["a", "b"] }, body: { ok: true } }));
    const res = await fetch("/forge/api/repositories/%7Babc%7D", { method: "GET", headers: { Accept: "application/json", Authorization: "JWT nope" } });
    expect(calls).toEqual([{ path: "/forge/api/repositories/%7Babc%7D", method: "GET" }]);
    expect(res).toBeInstanceOf(Response);
    expect(res.status).toBe(200);
    expect(res.ok).toBe(true);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("x-request-id")).toBe("a, b");
    expect(await res.json()).toEqual({ ok: true });
  });

  it("sends a JSON body parsed, with the content type as the only header (Forge adds the token)", async () => {
    const { calls, fetch } = fake(() => ({ status: 200, headers: {}, body: { connected: false } }));
    const res = await fetch("/forge/api/repositories/%7Babc%7D/connection", {
      method: "put",
      headers: new Headers({ "Content-Type": "application/json", Authorization: "JWT nope", "X-CSRF-Token": "x" }),
      body: JSON.stringify({ connected: false }),
    });
    expect(calls).toEqual([
      { path: "/forge/api/repositories/%7Babc%7D/connection", method: "PUT", headers: { "Content-Type": "application/json" }, body: { connected: false } },
    ]);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json()).toEqual({ connected: false });
  });

  it("passes an error status and the server's error body through", async () => {
    const { fetch } = fake(() => ({
      status: 403,
      headers: { "content-type": ["application/json; charset=utf-8"] },
      body: { error: { code: "auth.forbidden", message: "Only a repository admin…" } },
    }));
    const res = await fetch("/forge/api/repositories/%7Babc%7D/connection", { method: "PUT", body: '{"connected":true}' });
    expect(res.status).toBe(403);
    expect(res.ok).toBe(false);
    expect(await res.json()).toEqual({ error: { code: "auth.forbidden", message: "Only a repository admin…" } });
  });

  it("answers a response without a body (or a 204) with an empty body", async () => {
    const empty = fake(() => ({ status: 200, headers: {} }));
    expect(await (await empty.fetch("/forge/api/x")).text()).toBe("");
    const noContent = fake(() => ({ status: 204, headers: {}, body: { ignored: true } }));
    const res = await noContent.fetch("/forge/api/x", { method: "DELETE" });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
  });

  it("turns Forge's failure (no status) into a rejected fetch, like a network error", async () => {
    const { fetch } = fake(() => ({ message: "Remote did not answer in 25 s" }) as InvokeRemoteResult);
    await expect(fetch("/forge/api/x")).rejects.toThrow(/Remote did not answer in 25 s/);
    const nothing = fake(() => ({}) as InvokeRemoteResult);
    await expect(nothing.fetch("/forge/api/x")).rejects.toThrow(/Forge could not reach Hoist/);
  });

  it("refuses what Forge cannot carry: absolute URLs, other methods, non-JSON bodies", async () => {
    const { calls, fetch } = fake(() => ({ status: 200, headers: {}, body: {} }));
    await expect(fetch("https://evil.example/forge/api/x")).rejects.toThrow(/by path/);
    await expect(fetch("//evil.example/forge/api/x")).rejects.toThrow(/by path/);
    await expect(fetch("/forge/api/x", { method: "HEAD" })).rejects.toThrow(/cannot send a HEAD/);
    await expect(fetch("/forge/api/x", { method: "POST", body: "not json" })).rejects.toThrow(/JSON bodies only/);
    await expect(fetch("/forge/api/x", { method: "POST", body: new Blob(["{}"]) })).rejects.toThrow(/JSON bodies only/);
    expect(calls).toEqual([]);
  });

  it("serves the panel's ApiClient under /forge/api: no token, errors become ApiRequestErrors", async () => {
    const { calls, fetch } = fake((input) =>
      input.path.endsWith("/rollback")
        ? { status: 409, headers: {}, body: { error: { code: "rollback.conflict", message: "Something else went live." } } }
        : { status: 200, headers: {}, body: { site: { siteId: "acme/web", workspace: "acme", repo: "web", stages: [] } } },
    );
    const client = new ApiClient({ basePath: "/forge/api", workspace: "acme", repo: "web", fetch });
    expect((await client.site()).site.siteId).toBe("acme/web");
    const err = await client.rollback({ deployId: "d1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiRequestError);
    expect(err).toMatchObject({ status: 409, code: "rollback.conflict", message: "Something else went live." });
    expect(calls).toEqual([
      { path: "/forge/api/sites/acme/web", method: "GET" },
      { path: "/forge/api/sites/acme/web/rollback", method: "POST", headers: { "Content-Type": "application/json" }, body: { deployId: "d1" } },
    ]);
  });

  it("makes a Forge failure the ApiClient's 'unreachable'", async () => {
    const { fetch } = fake(() => ({}) as InvokeRemoteResult);
    const client = new ApiClient({ basePath: "/forge/api", workspace: "acme", repo: "web", fetch });
    await expect(client.site()).rejects.toMatchObject({ status: 0, code: "network.unreachable" });
  });
});
