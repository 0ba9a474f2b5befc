import { describe, expect, it } from "vitest";
import { injectPanelTags } from "./panel-html.ts";

describe("the panel page", () => {
  it("injects the token and an attribute-escaped context right after <head>", () => {
    const html = injectPanelTags("<html><head><title>x</title></head></html>", "a.b.c", { workspace: "acme", repo: "x'><script>", view: "page" });
    expect(html).not.toContain("<script>");
    expect(html).toMatch(/^<html><head>\n {4}<meta name="hoist-token" content="a\.b\.c">/);
    const content = /content='([^']*)'/.exec(html)![1]!;
    expect(content).toContain("&#39;&gt;&lt;script&gt;");
  });
});
