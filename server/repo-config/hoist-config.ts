import YAML from "yaml";
import { z } from "zod";
import { HoistError } from "../../lambda/core/errors.ts";

/**
 * The optional per-repository settings file, `hoist.json` or `hoist.yml`, read at the pushed
 * commit. Validated strictly: an unknown key, a `..` in a path, a YAML tag or a huge anchor
 * expansion fails THAT deploy with `config.invalid` and a message naming the field — never the
 * server.
 *
 *   directory: dist            # deploy only this folder of the repository
 *   branch: main               # the production branch (default: the repository's main branch)
 *   branches: [staging, "feature/*"]   # other branches deployed to their own stage hosts
 *   headers: [{ path: "/*", values: { X-Frame-Options: DENY } }]
 *   redirects: [{ from: /old, to: /new, status: 301 }]
 *   notFound: 404.html
 */

const relativePath = z
  .string()
  .min(1)
  .max(300)
  .refine((p) => !p.split("/").includes("..") && !p.startsWith("/") && !p.includes("\\") && !p.includes("\0"), "must be a relative path inside the repository, without '..'");

const branchPattern = z.string().min(1).max(200).regex(/^[A-Za-z0-9._/*-]+$/, "may hold letters, digits, '.', '_', '-', '/' and a '*' wildcard");
const headerName = z.string().regex(/^[A-Za-z0-9-]{1,100}$/, "must be an HTTP header name");
const headerValue = z.string().max(2000).regex(/^[^\r\n\0]*$/, "must be one line");
const urlPath = z.string().min(1).max(1000).regex(/^\/[^\s\0]*$/, "must be a path starting with /");

export const HoistConfigSchema = z.strictObject({
  directory: relativePath.optional(),
  branch: z.string().min(1).max(200).optional(),
  branches: z.array(branchPattern).max(50).optional(),
  headers: z.array(z.strictObject({ path: urlPath, values: z.record(headerName, headerValue) })).max(100).optional(),
  redirects: z
    .array(z.strictObject({ from: urlPath, to: z.union([urlPath, z.url().max(2000)]), status: z.union([z.literal(301), z.literal(302), z.literal(307), z.literal(308)]).default(301) }))
    .max(500)
    .optional(),
  notFound: relativePath.optional(),
});

export type HoistConfig = z.infer<typeof HoistConfigSchema>;

export const CONFIG_FILES = ["hoist.json", "hoist.yml", "hoist.yaml"] as const;

export function parseHoistConfig(file: string, text: string): HoistConfig {
  let raw: unknown;
  if (file.endsWith(".json")) {
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw invalid(file, `is not valid JSON (${(err as Error).message.slice(0, 200)})`);
    }
  } else {
    const doc = YAML.parseDocument(text, { schema: "core", uniqueKeys: true, strict: true, prettyErrors: false });
    const problem = doc.errors[0] ?? doc.warnings[0];
    if (problem) throw invalid(file, `is not valid YAML (${problem.message.split("\n")[0]!.slice(0, 200)})`);
    try {
      raw = doc.toJS({ maxAliasCount: 50 });
    } catch (err) {
      throw invalid(file, `could not be read (${(err as Error).message.slice(0, 200)})`);
    }
  }
  if (raw === null || raw === undefined) return {};
  const parsed = HoistConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? `"${issue.path.join(".").slice(0, 100)}"` : "the top level";
    throw invalid(file, `has a problem at ${where}: ${issue.message}`);
  }
  return parsed.data;
}

function invalid(file: string, what: string): HoistError {
  return new HoistError("config.invalid", `${file} ${what}. Fix the file and push again.`);
}

/** True when `branch` matches one of the patterns ("*" matches any run of characters except "/"… and "**" anything). */
export function branchOptedIn(config: HoistConfig, branch: string): boolean {
  return (config.branches ?? []).some((pattern) => {
    const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*\*/g, "\u0000").replace(/\*/g, "[^/]*").replace(/\u0000/g, ".*")}$`);
    return re.test(branch);
  });
}
