import { parseDocument } from "yaml";
import { z } from "zod";
import { HoistError } from "./errors.ts";

/**
 * A repository's optional Hoist settings: `hoist.json`, `hoist.yml` or `hoist.yaml` at its root.
 *
 *   directory: dist                      # deploy only this folder (a build output committed to git)
 *   branches: [staging, "feature/*"]     # branches that deploy to their own stage host
 *   notFound: 404.html                   # page served with status 404
 *   headers:   [{ for: "/assets/*", values: { X-Frame-Options: DENY } }]
 *   redirects: [{ from: "/old/*", to: "/new/:splat", status: 301 }]
 *
 * The file is untrusted input: size-capped, parsed without YAML tags or alias bombs, validated,
 * and refused as a whole with `config.invalid` and the first problem named.
 */

export const SETTINGS_FILES = ["hoist.json", "hoist.yml", "hoist.yaml"] as const;
export const MAX_SETTINGS_BYTES = 64 * 1024;

const SitePath = z
  .string()
  .max(512)
  .refine((p) => !p.split("/").includes("..") && !p.includes("\\") && !p.includes("\0"), "must not contain '..', backslashes or NUL");

const HeaderName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/, "is not a valid header name");
// Headers the gateway owns: letting a file set them would break encoding, caching or framing.
const RESERVED_HEADERS = new Set(["content-length", "content-encoding", "transfer-encoding", "connection", "etag", "vary", "content-range", "accept-ranges", "set-cookie"]);

const HeaderRule = z.object({
  for: SitePath.refine((p) => p.startsWith("/"), "must start with '/'"),
  values: z.record(HeaderName, z.string().max(2048).refine((v) => !/[\r\n\0]/.test(v), "must be a single line")).refine(
    (values) => Object.keys(values).every((name) => !RESERVED_HEADERS.has(name.toLowerCase())),
    "sets a header Hoist controls (Content-Length, Content-Encoding, ETag, Vary, Set-Cookie …)",
  ),
});

const RedirectRule = z.object({
  from: SitePath.refine((p) => p.startsWith("/"), "must start with '/'"),
  to: z
    .string()
    .max(2048)
    .refine((t) => t.startsWith("/") || /^https?:\/\/[^\s]+$/.test(t), "must be a path starting with '/' or an http(s) URL")
    .refine((t) => !/[\r\n\0]/.test(t), "must be a single line"),
  status: z.union([z.literal(301), z.literal(302), z.literal(307), z.literal(308), z.literal(200)]).default(301),
});

export const SiteSettingsSchema = z
  .object({
    directory: SitePath.transform((d) => d.replace(/^\/+|\/+$/g, "")).optional(),
    branches: z.array(z.string().min(1).max(255)).max(50).optional(),
    notFound: SitePath.transform((p) => p.replace(/^\/+/, "")).optional(),
    headers: z.array(HeaderRule).max(100).optional(),
    redirects: z.array(RedirectRule).max(1000).optional(),
  })
  .strict();

export type SiteSettings = z.infer<typeof SiteSettingsSchema>;

export function parseSiteSettings(fileName: string, text: string): SiteSettings {
  if (Buffer.byteLength(text) > MAX_SETTINGS_BYTES) {
    throw invalid(fileName, `it is larger than ${MAX_SETTINGS_BYTES / 1024} KB`);
  }
  let raw: unknown;
  try {
    raw = fileName.endsWith(".json") ? JSON.parse(text) : parseYamlStrictly(text);
  } catch (err) {
    throw invalid(fileName, `it cannot be parsed (${(err as Error).message.split("\n")[0]})`);
  }
  if (raw === null || raw === undefined) return {};
  const parsed = SiteSettingsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? `'${issue.path.join(".")}' ` : "";
    throw invalid(fileName, `${where}${issue.message}`);
  }
  return parsed.data;
}

/** YAML without tags (`!!js/function` and friends) and with a small alias budget (no "billion laughs"). */
function parseYamlStrictly(text: string): unknown {
  const doc = parseDocument(text, { schema: "core", uniqueKeys: true, logLevel: "silent" });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) throw new Error(problem.code === "TAG_RESOLVE_FAILED" ? "YAML tags such as !!js/function are not allowed" : problem.message);
  return doc.toJS({ maxAliasCount: 20 });
}

function invalid(fileName: string, problem: string): HoistError {
  return new HoistError("config.invalid", `${fileName} is not valid: ${problem}. Fix the file and push again (see the README's hoist.json section).`);
}
