import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ProcessorBuilder, ValidationTypes } from "@forge/manifest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { readForgeRoutes } from "../../server/forge/app-manifest.ts";

/**
 * forge/manifest.yml checked offline with Atlassian's own schema and validators (@forge/manifest,
 * the package the Forge CLI lints with): the full validation `forge lint` runs, plus the
 * product-trigger check that every event's scopes are declared. Forge checks a remote's baseUrl
 * only when `permissions.external.fetch` names the remote, which Hoist's manifest has no need
 * for, so the baseUrl rule (https origin, no path) is this file's own.
 *
 * Each manifest is validated in a scratch directory next to a stub `static/panel/index.html`, so
 * the result is about the manifest, not whether `npm run build:forge` has run.
 */

const MANIFEST = resolve(import.meta.dirname, "../../forge/manifest.yml");

type Problem = { message: string; level: string };
type Manifest = {
  app: { id: string };
  modules: Record<string, { key: string; endpoint?: string; events?: string[] }[]>;
  remotes: { key: string; baseUrl: string }[];
  permissions: { scopes: string[] };
};

let scratch: string;
let original: string;
let counter = 0;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "hoist-forge-manifest-"));
  original = await readFile(MANIFEST, "utf8");
});
afterAll(async () => rm(scratch, { recursive: true, force: true }));

/** Problems with a remote's baseUrl: Forge appends each endpoint's path to it, and Hoist serves at its origin's root. */
function baseUrlProblems(manifest: Manifest): Problem[] {
  return (manifest.remotes ?? []).flatMap((remote) => {
    let url: URL;
    try {
      url = new URL(remote.baseUrl);
    } catch {
      return [{ level: "error", message: `remote '${remote.key}': baseUrl '${remote.baseUrl}' is not a URL` }];
    }
    const problems: Problem[] = [];
    if (url.protocol !== "https:") problems.push({ level: "error", message: `remote '${remote.key}': baseUrl '${remote.baseUrl}' must use https` });
    if (url.pathname !== "/" || url.search || url.hash || remote.baseUrl.endsWith("/")) {
      problems.push({
        level: "error",
        message: `remote '${remote.key}': baseUrl '${remote.baseUrl}' must be an origin without a path, query or trailing slash`,
      });
    }
    return problems;
  });
}

/** Errors (not warnings) from Forge's full lint and its product-trigger scope check, plus the baseUrl rule. */
async function validate(text: string): Promise<Problem[]> {
  const dir = join(scratch, String(++counter));
  await mkdir(join(dir, "static/panel"), { recursive: true });
  await writeFile(join(dir, "static/panel/index.html"), "<!doctype html><title>stub</title>");
  const file = join(dir, "manifest.yml");
  await writeFile(file, text);
  const problems: Problem[] = [];
  for (const type of [ValidationTypes.FULL, ValidationTypes.PRODUCT_TRIGGER]) {
    const result = await ProcessorBuilder.instance().withValidation(type).build().process(file);
    problems.push(...(result.errors ?? []).map((e) => ({ message: e.message, level: e.level })));
  }
  problems.push(...baseUrlProblems(parse(text) as Manifest));
  return problems.filter((p) => p.level === "error");
}

/** Our manifest, changed by `edit`. */
async function validateEdited(edit: (m: Manifest) => void): Promise<Problem[]> {
  const manifest = parse(original) as Manifest;
  edit(manifest);
  return validate(stringify(manifest));
}

const messages = (problems: Problem[]) => problems.map((p) => p.message).join("\n");

describe("forge/manifest.yml", () => {
  it("passes Forge's own validation", async () => {
    expect(await validate(original)).toEqual([]);
  });

  it("has the contract's modules, routes and least scopes", () => {
    const manifest = parse(original) as Manifest;
    expect(manifest.app.id).toBe("ari:cloud:ecosystem::app/00000000-0000-0000-0000-000000000000");
    expect(original).toMatch(/forge register/);
    expect(manifest.modules["bitbucket:repoMainMenuPage"]?.map((m) => m.key)).toEqual(["hoist-deploys"]);
    expect(manifest.modules["bitbucket:repoCodeOverviewCard"]?.map((m) => m.key)).toEqual(["hoist-overview"]);
    expect(manifest.modules["bitbucket:repoSettingsMenuPage"]?.map((m) => m.key)).toEqual(["hoist-settings"]);
    expect(manifest.permissions.scopes.sort()).toEqual(["read:app-system-token", "read:app-user-token", "read:repository:bitbucket"]);
    // Hoist's server learns its event routes from this file.
    expect(readForgeRoutes(MANIFEST)).toEqual({ pushPath: "/forge/events/push", lifecyclePath: "/forge/events/lifecycle" });
  });

  it("fails with a misspelled module type, naming it", async () => {
    const problems = await validate(original.replace("bitbucket:repoMainMenuPage:", "bitbucket:repoMainMenuPages:"));
    expect(problems.length).toBeGreaterThan(0);
    expect(messages(problems)).toMatch(/bitbucket:repoMainMenuPages/);
  });

  it("fails when the push trigger's scope is missing, naming the scope and the event", async () => {
    const problems = await validateEdited((m) => {
      m.permissions.scopes = m.permissions.scopes.filter((s) => s !== "read:repository:bitbucket");
    });
    expect(messages(problems)).toMatch(/read:repository:bitbucket/);
    expect(messages(problems)).toMatch(/avi:bitbucket:push:repository/);
  });

  it.each([
    ["not a url", /'not a url' is not a URL/],
    ["http://hoist.example.com/deploys", /must use https[\s\S]*must be an origin without a path/],
    ["https://hoist.example.com/", /must be an origin without a path/],
  ])("fails with the remote baseUrl %s, naming it", async (baseUrl, expected) => {
    const problems = await validateEdited((m) => {
      m.remotes[0]!.baseUrl = baseUrl;
    });
    expect(messages(problems)).toMatch(/remote 'hoist'/);
    expect(messages(problems)).toMatch(expected);
  });

  it("fails when a trigger names an undefined endpoint, naming the endpoint", async () => {
    const problems = await validateEdited((m) => {
      m.modules.trigger![0]!.endpoint = "hoist-push-event";
    });
    expect(messages(problems)).toMatch(/undefined endpoint[\s\S]*'hoist-push-event'/);
  });
});
