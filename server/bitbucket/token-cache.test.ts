import { describe, expect, it } from "vitest";
import { TokenCache } from "./token-cache.ts";

describe("access token cache", () => {
  it("reuses a token until shortly before it expires, and never across a new secret", async () => {
    const cache = new TokenCache();
    let exchanges = 0;
    const exchange = (expiresInSeconds: number) => async () => ({ token: `t${++exchanges}`, expiresInSeconds });
    expect(await cache.get("k", "s1", exchange(3600))).toBe("t1");
    expect(await cache.get("k", "s1", exchange(3600))).toBe("t1");
    expect(await cache.get("k", "s2", exchange(3600))).toBe("t2");
    expect(await cache.get("k", "s3", exchange(30))).toBe("t3");
    expect(await cache.get("k", "s3", exchange(3600))).toBe("t4"); // t3 was inside the refresh margin
  });
});
