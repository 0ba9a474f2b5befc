import { describe, expect, it } from "vitest";
import { branchOptedIn, parseSiteSettings } from "./site-settings.ts";

describe("hoist.json / hoist.yml", () => {
  it("reads the documented settings", () => {
    const config = parseSiteSettings("hoist.yml", "directory: dist\nbranches: [staging, 'feature/*']\nredirects:\n  - { from: /old, to: /new }\n");
    expect(config).toMatchObject({ directory: "dist", branches: ["staging", "feature/*"], redirects: [{ from: "/old", to: "/new", status: 301 }] });
    expect(branchOptedIn(config, "feature/login")).toBe(true);
    expect(branchOptedIn(config, "feature/a/b")).toBe(false);
    expect(branchOptedIn(config, "main")).toBe(false);
  });

  const hostile: [string, string, string][] = [
    ["hoist.yml", "directory: !!js/function 'function(){}'\n", "hoist.yml is not valid YAML"],
    ["hoist.yml", "a: &a [x, x, x]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\nd: &d [*c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n", "hoist.yml"],
    ["hoist.json", '{"directory": "../../etc"}', '"directory"'],
    ["hoist.json", '{"directory": "/abs"}', '"directory"'],
    ["hoist.json", '{"unknown": 1}', "hoist.json has a problem"],
    ["hoist.json", '{"headers": [{"path": "/*", "values": {"X-A": "a\\r\\nSet-Cookie: x"}}]}', '"headers.0.values.X-A"'],
    ["hoist.json", "{not json", "hoist.json is not valid JSON"],
    ["hoist.json", '{"headers": [{"path": "/*", "values": {"X-Price": "5 €"}}]}', "outside Latin-1"],
  ];
  for (const [file, text, mentions] of hostile) {
    it(`refuses ${text.slice(0, 40).replace(/\n/g, " ")}… naming ${mentions}`, () => {
      expect(() => parseSiteSettings(file, text)).toThrowError(expect.objectContaining({ code: "config.invalid", message: expect.stringContaining(mentions) }));
    });
  }
});
