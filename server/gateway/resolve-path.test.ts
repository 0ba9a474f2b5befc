import { describe, expect, it } from "vitest";
import type { ManifestFile } from "../../core/manifest.ts";
import { parseRequestPath, type RequestPath } from "./request-path.ts";
import { resolvePath, type ServedFiles } from "./resolve-path.ts";

const file = (name: string): ManifestFile => ({
  hash: name.padEnd(64, "0").replace(/[^0-9a-f]/g, "a").slice(0, 64),
  size: 1,
  storedSize: 1,
  contentType: "text/html; charset=utf-8",
  cacheControl: "public, max-age=0, must-revalidate",
  blobKey: `blob/${name}`,
});

const site = (keys: string[], notFound?: string): ServedFiles => ({
  files: new Map(keys.map((k) => [k, file(k)])),
  notFound,
});

function path(target: string): RequestPath {
  const parsed = parseRequestPath(target);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.path;
}

const served = (s: ServedFiles, target: string) => {
  const r = resolvePath(s, path(target));
  if (r.kind === "file") return r.key;
  if (r.kind === "redirect") return `301 ${r.location}`;
  return `404 ${r.page?.key ?? "(plain)"}`;
};

describe("parseRequestPath", () => {
  it.each([
    ["/../etc/passwd", "'..'"],
    ["/a/%2e%2e/b", "'..'"],
    ["/%2E%2E%2Fsecret", "'..'"],
    ["/a/./b", "'.'"],
    ["/a%00.html", "NUL"],
    ["/..%5c..%5cwindows", "backslash"],
    ["/a\\b", "backslash"],
    ["/%zz", "percent-encoding"],
    ["http://other.example/x", "starting with /"],
    ["*", "starting with /"],
  ])("refuses %s", (target, why) => {
    const parsed = parseRequestPath(target);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain(why);
  });

  it("decodes percent-escapes and keeps the query", () => {
    expect(path("/caf%C3%A9/menu%20du%20jour.html?x=1")).toEqual({
      segments: ["café", "menu du jour.html"],
      trailingSlash: false,
      query: "?x=1",
    });
  });

  it("collapses repeated slashes", () => {
    expect(path("//a///b/").segments).toEqual(["a", "b"]);
  });

  it("does not decode twice: %252e%252e is a file literally named %2e%2e", () => {
    expect(path("/%252e%252e/x").segments).toEqual(["%2e%2e", "x"]);
  });
});

describe("resolvePath", () => {
  const s = site(["index.html", "docs/index.html", "about.html", "docs", "guide/index.html", "css/a.css", "404.html"]);

  it("serves index.html for the root and for directories", () => {
    expect(served(s, "/")).toBe("index.html");
    expect(served(s, "/guide/")).toBe("guide/index.html");
  });

  it("redirects a directory without its slash, keeping the query", () => {
    expect(served(s, "/guide?tab=2")).toBe("301 /guide/?tab=2");
  });

  it("prefers an exact file over a directory of the same name", () => {
    expect(served(s, "/docs")).toBe("docs");
    expect(served(s, "/docs/")).toBe("docs/index.html");
  });

  it("serves pretty URLs from name.html and redirects their slashed form", () => {
    expect(served(s, "/about")).toBe("about.html");
    expect(served(s, "/about/")).toBe("301 /about");
  });

  it("never redirects off the site for a protocol-relative path", () => {
    const evil = site(["evil.example/index.html"]);
    expect(served(evil, "//evil.example")).toBe("301 /evil.example/");
  });

  it("falls back to the site's 404 page, then to a plain 404", () => {
    expect(served(s, "/missing")).toBe("404 404.html");
    expect(served(site(["index.html", "errors/nf.html"], "errors/nf.html"), "/x")).toBe("404 errors/nf.html");
    expect(served(site(["index.html"], "gone.html"), "/x")).toBe("404 (plain)");
    expect(served(site(["about.html"]), "/")).toBe("404 (plain)");
  });

  it("does not mistake object prototype names for files", () => {
    expect(served(site(["index.html"]), "/__proto__")).toBe("404 (plain)");
    expect(served(site(["index.html"]), "/constructor")).toBe("404 (plain)");
  });
});
