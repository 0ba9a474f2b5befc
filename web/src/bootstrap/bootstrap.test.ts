// @vitest-environment jsdom
import { afterEach, describe, expect, it } from "vitest";
import { allowedHostOrigin } from "./connect.ts";
import { ContextError, readPanelContext } from "./context.ts";

afterEach(() => {
  document.head.innerHTML = "";
});

function metas(token?: string, context?: string) {
  if (token) document.head.insertAdjacentHTML("beforeend", `<meta name="hoist-token" content="${token}">`);
  if (context !== undefined) {
    const m = document.createElement("meta");
    m.name = "hoist-context";
    m.content = context;
    document.head.appendChild(m);
  }
}

describe("readPanelContext", () => {
  it("reads the token and context the server injected", () => {
    metas("tok", JSON.stringify({ workspace: "acme", repo: "website", view: "panel" }));
    expect(readPanelContext(document, "?workspace=other&token=ignored")).toEqual({
      workspace: "acme",
      repo: "website",
      view: "panel",
      token: "tok",
      mainBranch: "main",
      allDeploysUrl: undefined,
      hostBaseUrl: undefined,
    });
  });

  it("falls back to query parameters for standalone dev", () => {
    const ctx = readPanelContext(document, "?workspace=acme&repo=website&token=qt");
    expect(ctx).toMatchObject({ workspace: "acme", repo: "website", token: "qt", view: "page" });
  });

  it("takes no API origin from the URL or the page, whatever they say", () => {
    metas("tok", JSON.stringify({ workspace: "acme", repo: "website", view: "panel", apiBase: "" }));
    expect(readPanelContext(document, `?${"&".repeat(1000)}apiBase=https://evil.example`)).not.toHaveProperty("apiBase");
  });

  it("says what the add-on must fix when the context is missing or broken", () => {
    expect(() => readPanelContext(document, "")).toThrow(ContextError);
    metas(undefined, "{not json");
    expect(() => readPanelContext(document, "")).toThrow(/not JSON/);
  });
});

describe("allowedHostOrigin", () => {
  it("loads all.js only from Bitbucket, the installation's host, or localhost when running locally", () => {
    expect(allowedHostOrigin("https://bitbucket.org", undefined, false)).toBe("https://bitbucket.org");
    expect(allowedHostOrigin("https://evil.example", undefined, false)).toBeUndefined();
    expect(allowedHostOrigin("https://bb.corp.example/x", "https://bb.corp.example", false)).toBe("https://bb.corp.example");
    expect(allowedHostOrigin("http://localhost:4000", undefined, false)).toBeUndefined();
    expect(allowedHostOrigin("http://localhost:4000", undefined, true)).toBe("http://localhost:4000");
    expect(allowedHostOrigin("javascript:alert(1)", undefined, true)).toBeUndefined();
    expect(allowedHostOrigin(null, undefined, true)).toBeUndefined();
  });
});
