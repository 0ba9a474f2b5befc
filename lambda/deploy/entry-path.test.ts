import { describe, expect, it } from "vitest";
import { HoistError } from "../../core/errors.ts";
import { checkEntryPath, checkPathSafety, NameRegistry, splitTopFolder } from "./entry-path.ts";

const rules = { maxPathDepth: 4, maxKeyBytes: 64 };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(HoistError);
    return (err as HoistError).code;
  }
}

describe("splitTopFolder", () => {
  it("splits git archive's single top folder from the rest", () => {
    expect(splitTopFolder("acme-site-0123456789ab/css/a.css")).toEqual({ top: "acme-site-0123456789ab", rest: "css/a.css" });
    expect(splitTopFolder("acme-site-0123456789ab/")).toEqual({ top: "acme-site-0123456789ab", rest: "" });
    expect(splitTopFolder("index.html")).toEqual({ top: "index.html", rest: "" });
  });
});

describe("checkEntryPath", () => {
  it("returns the NFC form without empty or '.' segments", () => {
    expect(checkEntryPath("./css//site.css", rules)).toBe("css/site.css");
    expect(checkEntryPath("docs/", rules)).toBe("docs");
    expect(checkEntryPath("cafe\u0301.html", rules)).toBe("caf\u00e9.html");
  });

  it.each([
    ["../etc/passwd", "archive.path_traversal"],
    ["a/../../b", "archive.path_traversal"],
    ["/etc/passwd", "archive.absolute_path"],
    ["C:\\Windows\\x", "archive.absolute_path"],
    ["c:/x", "archive.absolute_path"],
    ["\\\\server\\share", "archive.absolute_path"],
    ["a\\b.html", "archive.bad_name"],
    ["a\u0000b", "archive.nul_in_path"],
    ["a\u001bb", "archive.bad_name"],
    ["a\u007fb", "archive.bad_name"],
    ["a/b/c/d/e.html", "archive.path_too_deep"],
    [`${"x".repeat(65)}`, "archive.key_too_long"],
    [`${"\u00e9".repeat(33)}`, "archive.key_too_long"],
  ])("refuses %j as %s", (path, code) => {
    expect(codeOf(() => checkEntryPath(path, rules))).toBe(code);
  });

  it("accepts names that only look suspicious", () => {
    expect(checkEntryPath("a..b/..c/d..", rules)).toBe("a..b/..c/d..");
    expect(checkEntryPath("a/b/c/d.html", rules)).toBe("a/b/c/d.html");
    expect(checkEntryPath("x".repeat(64), rules)).toBe("x".repeat(64));
  });

  it("checkPathSafety refuses roots and '..' of a raw entry name, before any top folder is split off", () => {
    expect(codeOf(() => checkPathSafety("/etc/passwd"))).toBe("archive.absolute_path");
    expect(codeOf(() => checkPathSafety("../x"))).toBe("archive.path_traversal");
    expect(codeOf(() => checkPathSafety("top/ok.html"))).toBeUndefined();
  });

  it("quotes the offending name with control characters made visible", () => {
    expect(() => checkEntryPath("a\u001bb", rules)).toThrow(/"a\\u001bb"/);
  });
});

describe("NameRegistry (collision policy: equal after NFC + lower-casing is refused)", () => {
  const clash = (...paths: string[]) =>
    codeOf(() => {
      const names = new NameRegistry();
      for (const p of paths) names.addFile(p.normalize("NFC"));
    });

  it("accepts distinct names and counts files", () => {
    const names = new NameRegistry();
    for (const p of ["index.html", "css/a.css", "css/b.css", "CSS-notes.txt"]) names.addFile(p);
    expect(names.size).toBe(4);
  });

  it.each([
    [["index.html", "index.html"]],
    [["index.html", "INDEX.html"]],
    [["caf\u00e9.html", "cafe\u0301.html"]],
    [["docs", "docs/index.html"]],
    [["docs/index.html", "Docs"]],
    [["Docs/a.html", "docs/b.html"]],
    [["a/B/c.txt", "a/b/d.txt"]],
  ])("refuses %j", (paths) => {
    expect(clash(...paths)).toBe("archive.name_collision");
  });
});
