import { validateHeaderValue } from "node:http";
import { parseDocument } from "yaml";
import { z } from "zod";
import { HoistError } from "./errors.ts";

/**
 * A repository's optional Hoist settings: `hoist.json`, `hoist.yml` or `hoist.yaml` at its root.
 * One schema, shared: the add-on reads the file at the pushed commit (to pick the stage and the
 * deploy directory before fetching), and the deployer reads it from the archive when the
 * creator of a deploy did not (the CLI).
 *
 *   directory: dist                      # deploy only this folder of the repository
 *   branch: main                         # the production branch (default: the repository's main branch)
 *   branches: [staging, "feature/*"]     # other branches deployed to their own stage hosts
 *   notFound: 404.html                   # page served with status 404
 *   headers:   [{ path: "/assets/*", values: { X-Frame-Options: DENY } }]
 *   redirects: [{ from: "/old/*", to: "/new/:splat", status: 301 }]   # 200 = rewrite
 *
 * The file is untrusted input: size-capped, parsed without YAML tags or alias bombs, validated
 * strictly, and refused as a whole with `config.invalid`, naming the file and the field.
 */

export const SETTINGS_FILES = ["hoist.json", "hoist.yml", "hoist.yaml"] as const;
export const MAX_SETTINGS_BYTES = 64 * 1024;

const relativePath = z
  .string()
  .min(1)
  .max(300)
  .refine((p) => !p.split("/").includes("..") && !p.startsWith("/") && !p.includes("\\") && !p.includes("\0"), "must be a relative path inside the repository, without '..'")
  .transform((p) => p.replace(/\/+$/, ""));

const branchPattern = z.string().min(1).max(200).regex(/^[A-Za-z0-9._/*-]+$/, "may hold letters, digits, '.', '_', '-', '/' and a '*' wildcard");
const headerName = z.string().regex(/^[A-Za-z0-9-]{1,100}$/, "must be an HTTP header name");

function sendable(check: () => void): boolean {
  try {
    check();
    return true;
  } catch {
    return false;
  }
}
// Exactly what Node will send: one line of Latin-1 (a "€" would pass a looser check, then make every response fail).
const headerValue = z
  .string()
  .max(2000)
  .regex(/^[^\r\n\0]*$/, "must be one line")
  .refine((value) => sendable(() => validateHeaderValue("x-hoist-check", value)), "must be plain text: HTTP header values cannot hold characters outside Latin-1 (such as €); percent-encode them");
const urlPath = z.string().min(1).max(1000).regex(/^\/[^\s\0]*$/, "must be a path starting with /");
// Headers the gateway owns: letting a file set them would break encoding, caching or framing.
const RESERVED_HEADERS = new Set(["content-length", "content-encoding", "transfer-encoding", "connection", "etag", "vary", "content-range", "accept-ranges", "set-cookie"]);

export const SiteSettingsSchema = z.strictObject({
  directory: relativePath.optional(),
  branch: z.string().min(1).max(200).optional(),
  branches: z.array(branchPattern).max(50).optional(),
  headers: z
    .array(
      z.strictObject({
        path: urlPath,
        values: z
          .record(headerName, headerValue)
          .refine((values) => Object.keys(values).every((name) => !RESERVED_HEADERS.has(name.toLowerCase())), "sets a header Hoist controls (Content-Length, Content-Encoding, ETag, Vary, Set-Cookie …)"),
      }),
    )
    .max(100)
    .optional(),
  redirects: z
    .array(
      z.strictObject({
        from: urlPath,
        to: z.union([urlPath, z.url({ protocol: /^https?$/ }).max(2000)]),
        status: z.union([z.literal(301), z.literal(302), z.literal(307), z.literal(308), z.literal(200)]).default(301),
      }),
    )
    .max(500)
    .optional(),
  notFound: relativePath.optional(),
});

export type SiteSettings = z.infer<typeof SiteSettingsSchema>;

export function parseSiteSettings(file: string, text: string): SiteSettings {
  if (Buffer.byteLength(text) > MAX_SETTINGS_BYTES) throw invalid(file, `is larger than ${MAX_SETTINGS_BYTES / 1024} KB`);
  let raw: unknown;
  if (file.endsWith(".json")) {
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw invalid(file, `is not valid JSON (${(err as Error).message.slice(0, 200)})`);
    }
  } else {
    // The core schema has no !!js/function and friends; an unknown tag is an error, not a warning.
    const doc = parseDocument(text, { schema: "core", uniqueKeys: true, strict: true, prettyErrors: false, logLevel: "silent" });
    const problem = doc.errors[0] ?? doc.warnings[0];
    if (problem) throw invalid(file, `is not valid YAML (${problem.message.split("\n")[0]!.slice(0, 200)})`);
    try {
      raw = doc.toJS({ maxAliasCount: 50 });
    } catch (err) {
      throw invalid(file, `could not be read (${(err as Error).message.slice(0, 200)})`);
    }
  }
  if (raw === null || raw === undefined) return {};
  const parsed = SiteSettingsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? `"${issue.path.join(".").slice(0, 100)}"` : "the top level";
    throw invalid(file, `has a problem at ${where}: ${issue.message}`);
  }
  return parsed.data;
}

function invalid(file: string, what: string): HoistError {
  return new HoistError("config.invalid", `${file} ${what}. Fix the file and push again (see the README's "Repository settings").`);
}

/**
 * True when `branch` matches one of the settings' `branches` patterns: "*" matches any run of
 * characters except "/", "**" matches anything.
 */
export function branchOptedIn(settings: Pick<SiteSettings, "branches">, branch: string): boolean {
  return (settings.branches ?? []).some((pattern) => {
    const segmentPattern = (part: string) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*");
    const re = new RegExp(`^${pattern.split("**").map(segmentPattern).join(".*")}$`);
    return re.test(branch);
  });
}
