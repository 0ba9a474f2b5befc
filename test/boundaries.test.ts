import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The folder rules of docs/architecture.md, checked on every import in the tree: the deployer
 * bundle must not pull in the server, the sandbox must stay an honest stand-in, and the panel
 * talks to the server over HTTP only.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^"'`;]*?from\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g;

function sourcesUnder(folder: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, folder), { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && /\.(ts|tsx)$/.test(entry.name)) out.push(join(entry.parentPath, entry.name));
  }
  return out;
}

/** Every relative import of the folder's files, as [importing file, top-level folder it reaches]. */
function reaches(folder: string, opts: { typeOnlyAllowed?: boolean } = {}): [string, string][] {
  const found: [string, string][] = [];
  for (const file of sourcesUnder(folder)) {
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(IMPORT)) {
      const spec = match[1] ?? match[2]!;
      if (!spec.startsWith(".")) continue;
      if (opts.typeOnlyAllowed && /^\s*(?:import|export)\s+type\b/.test(match[0].trimStart())) continue;
      const top = relative(ROOT, resolve(dirname(file), spec)).split("/")[0]!;
      found.push([relative(ROOT, file), top]);
    }
  }
  return found;
}

const outside = (pairs: [string, string][], allowed: string[]) => pairs.filter(([, top]) => !allowed.includes(top));

describe("folder boundaries", () => {
  it("lambda/ imports only lambda/ and core/ (the deployer bundle carries no server code)", () => {
    expect(outside(reaches("lambda"), ["lambda", "core"])).toEqual([]);
  });

  it("core/ imports only core/", () => {
    expect(outside(reaches("core"), ["core"])).toEqual([]);
  });

  it("sandbox/ imports none of Hoist's code", () => {
    expect(outside(reaches("sandbox"), ["sandbox"])).toEqual([]);
  });

  it("web/ takes only types from the server", () => {
    expect(outside(reaches("web", { typeOnlyAllowed: true }), ["web"])).toEqual([]);
  });

  it("the check sees imports (a rule that finds nothing to check cannot fail)", () => {
    expect(reaches("lambda").some(([, top]) => top === "core")).toBe(true);
    expect(reaches("web").some(([, top]) => top === "server")).toBe(true);
  });
});
