import { describe, expect, it } from "vitest";
import { isSiteHost, stageLabelOf } from "./site-host.ts";
import { Lru } from "./lru.ts";

describe("site hosts under a sites domain with a port (local mode)", () => {
  const config = { sitesDomain: "localhost:3000" };
  it("takes <label>.localhost:3000 and gives its label", () => {
    expect(isSiteHost("website--acme.localhost:3000", config)).toBe(true);
    expect(stageLabelOf("Website--ACME.localhost:3000", config)).toBe("website--acme");
  });
  it("leaves the bare domain, other ports and other domains to the add-on", () => {
    expect(isSiteHost("localhost:3000", config)).toBe(false);
    expect(isSiteHost("website--acme.localhost:3001", config)).toBe(false);
    expect(isSiteHost("website--acme.localhost", config)).toBe(false);
    expect(isSiteHost("evil-localhost:3000", config)).toBe(false);
    expect(isSiteHost(undefined, config)).toBe(false);
  });
});

describe("site hosts under a sites domain without a port", () => {
  const config = { sitesDomain: "hoist.example" };
  it("accepts any port and a trailing dot", () => {
    expect(stageLabelOf("a--b.hoist.example:443", config)).toBe("a--b");
    expect(stageLabelOf("a--b.hoist.example.", config)).toBe("a--b");
  });
  it("owns nested names but maps them to no site", () => {
    expect(isSiteHost("x.a--b.hoist.example", config)).toBe(true);
    expect(stageLabelOf("x.a--b.hoist.example", config)).toBeUndefined();
    expect(stageLabelOf("a_b.hoist.example", config)).toBeUndefined();
  });
});

describe("Lru", () => {
  it("evicts the least recently used entries beyond its weight budget", () => {
    const lru = new Lru<string, number>(3);
    lru.set("a", 1);
    lru.set("b", 2);
    lru.get("a");
    lru.set("c", 3, 2);
    expect([lru.get("a"), lru.get("b"), lru.get("c")]).toEqual([1, undefined, 3]);
  });
  it("does not keep an entry heavier than the whole budget", () => {
    const lru = new Lru<string, number>(3);
    lru.set("a", 1);
    lru.set("huge", 2, 4);
    expect([lru.get("a"), lru.get("huge")]).toEqual([1, undefined]);
  });
});
