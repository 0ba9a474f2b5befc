import { describe, expect, it } from "vitest";
import { headersFor, matchPattern, redirectFor, type SiteRules } from "./site-rules.ts";

describe("site rule patterns", () => {
  it("matches exact paths, splats and named segments", () => {
    expect(matchPattern("/a/b", "/a/b")).toEqual({});
    expect(matchPattern("/a/b", "/a/b/c")).toBeUndefined();
    expect(matchPattern("/a/*", "/a/b/c")).toEqual({ splat: "b/c" });
    expect(matchPattern("/:lang/about", "/fr/about")).toEqual({ lang: "fr" });
    expect(matchPattern("/:lang/about", "/fr/contact")).toBeUndefined();
  });

  it("substitutes only path-safe text into a redirect target", () => {
    const rules: SiteRules = { headers: [], redirects: [{ from: "/go/*", to: "/to/:splat", status: 302 }] };
    expect(redirectFor(rules, "/go/x y")).toEqual({ status: 302, to: "/to/x%20y" });
    // A splat cannot turn a path redirect into a protocol-relative URL to another host.
    expect(redirectFor(rules, "/go//evil.example")?.to).toBe("/to//evil.example");
    expect(redirectFor(rules, "/go/a:b@evil")?.to).toBe("/to/a%3Ab%40evil");
  });

  it("merges headers of every matching rule, later rules winning", () => {
    const rules: SiteRules = {
      headers: [
        { path: "/*", values: { "X-A": "1", "X-B": "1" } },
        { path: "/x", values: { "X-B": "2" } },
      ],
      redirects: [],
    };
    expect(headersFor(rules, "/x")).toEqual({ "X-A": "1", "X-B": "2" });
    expect(headersFor(rules, "/y")).toEqual({ "X-A": "1", "X-B": "1" });
  });
});
