import { describe, expect, it } from "vitest";
import { apiError, fixtureFetch, json } from "../dev/fixture-fetch.ts";
import { ApiClient } from "./client.ts";
import { ApiRequestError } from "./errors.ts";

const make = (fetch: ConstructorParameters<typeof ApiClient>[0]["fetch"]) =>
  new ApiClient({ workspace: "acme", repo: "web site", token: "t0", fetch });

describe("ApiClient", () => {
  it("sends the JWT and swaps in each X-acpt token", async () => {
    const fake = fixtureFetch();
    const client = make(fake.fetch);
    await client.site();
    await client.deploys({ limit: 5 });
    expect(fake.calls.map((c) => c.authorization)).toEqual(["JWT t0", "JWT token-1"]);
    expect(client.currentToken).toBe("token-2");
  });

  it("keeps the token when a response has no X-acpt", async () => {
    const client = make(async () => json({ site: {} }));
    await client.site();
    expect(client.currentToken).toBe("t0");
  });

  it("encodes names and calls the page's own origin only", async () => {
    const seen: string[] = [];
    const client = make(async (url) => {
      seen.push(url);
      return json({ deploys: [] });
    });
    await client.deploys({ cursor: "01J/x", limit: 20 });
    expect(seen[0]).toBe("/api/sites/acme/web%20site/deploys?limit=20&cursor=01J%2Fx");
  });

  it("turns the error envelope into an ApiRequestError with the server's code", async () => {
    const client = make(async () => apiError(409, "rollback.conflict", "The live deploy changed"));
    const err = await client.rollback({ deployId: "x" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiRequestError);
    expect(err).toMatchObject({ status: 409, code: "rollback.conflict", message: "The live deploy changed" });
  });

  it("names a non-JSON error by its status", async () => {
    const client = make(async () => new Response("<html>Bad gateway</html>", { status: 502, statusText: "Bad Gateway" }));
    await expect(client.site()).rejects.toMatchObject({ status: 502, code: "http.502" });
  });

  it("reports an unreachable API as status 0", async () => {
    const client = make(async () => {
      throw new TypeError("Failed to fetch");
    });
    const err = (await client.site().catch((e: unknown) => e)) as ApiRequestError;
    expect(err.unreachable).toBe(true);
    expect(err.code).toBe("network.unreachable");
  });
});
