import { readFileSync } from "node:fs";
import { z } from "zod";
import { ConfigError } from "../../core/config.ts";
import { SlugSchema, siteId } from "../../core/site.ts";
import type { RepositoryAccessToken } from "../bitbucket/client.ts";
import { directOwnerKey, type DirectSite } from "./direct-sites.ts";

/**
 * The direct-mode sites file (HOIST_DIRECT_SITES_FILE), read and validated once at start:
 *
 *   [{ "site": "acme/website", "webhookSecret": "…", "accessToken": "…",
 *      "baseUrl"?: "https://bitbucket.org", "apiUrl"?: "https://api.bitbucket.org",
 *      "branches"?: ["main", "release/*"] }]
 *
 * Errors name the file, the entry (index and site) and the field, never a value: the file holds
 * secrets, and Node's JSON errors quote the text around the fault, so those are reworded too.
 */

const HttpUrl = z
  .string()
  .regex(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, "must be an http(s) URL such as https://bitbucket.org")
  .transform((u) => u.replace(/\/+$/, ""));

const SiteName = z
  .string()
  .regex(/^[^/]+\/[^/]+$/, "must be <workspace>/<repo>, for example acme/website")
  .transform((s, ctx) => {
    const [ws, repo] = s.split("/");
    const w = SlugSchema.safeParse(ws);
    const r = SlugSchema.safeParse(repo);
    if (!w.success || !r.success) {
      ctx.addIssue({ code: "custom", message: "must be <workspace>/<repo> with Bitbucket slugs (letters, digits, '.', '_' or '-')" });
      return z.NEVER;
    }
    return { workspace: w.data, repo: r.data };
  });

const EntrySchema = z.strictObject({
  site: SiteName,
  webhookSecret: z.string().min(16, "must be at least 16 characters (use Bitbucket's “Generate secret”)").max(1024),
  accessToken: z.string().min(1, "must be the repository access token").max(4096),
  baseUrl: HttpUrl.default("https://bitbucket.org"),
  apiUrl: HttpUrl.default("https://api.bitbucket.org"),
  branches: z.array(z.string().min(1).max(255)).min(1, "must list at least one branch pattern (or leave it out)").max(100).optional(),
});

export function loadDirectSites(path: string): DirectSite[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(`HOIST_DIRECT_SITES_FILE (${path}) cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"}) — point it at the direct-mode sites file, or unset it.`);
  }
  return parseDirectSites(text, path);
}

export function parseDirectSites(text: string, path: string): DirectSite[] {
  const where = `HOIST_DIRECT_SITES_FILE (${path})`;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    throw new ConfigError(`${where} is not valid JSON${at ? ` (at character ${at})` : ""} — it must be a JSON array of sites.`);
  }
  if (!Array.isArray(json)) throw new ConfigError(`${where} must be a JSON array of sites: [{ "site": "workspace/repo", "webhookSecret": "…", "accessToken": "…" }].`);
  const sites: DirectSite[] = [];
  json.forEach((entry, index) => {
    const parsed = EntrySchema.safeParse(entry);
    const name = typeof (entry as { site?: unknown })?.site === "string" ? ` (${String((entry as { site: string }).site).slice(0, 200)})` : "";
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "entry"}: ${i.message}`).join("; ");
      throw new ConfigError(`${where}: entry ${index}${name} is invalid — ${problems}.`);
    }
    const e = parsed.data;
    const id = siteId(e.site);
    if (sites.some((s) => s.siteId === id)) throw new ConfigError(`${where}: entry ${index}${name} repeats site ${id} — list each site once.`);
    const owner = directOwnerKey(e.site);
    const credentials: RepositoryAccessToken = { kind: "repository-token", owner, accessToken: e.accessToken, baseUrl: e.baseUrl, baseApiUrl: e.apiUrl };
    const site: DirectSite = { ref: e.site, siteId: id, owner, webhookSecret: e.webhookSecret, credentials, branches: e.branches, source: "file" };
    redactWhenSerialised(credentials, { kind: credentials.kind, owner, baseUrl: e.baseUrl, baseApiUrl: e.apiUrl });
    redactWhenSerialised(site, { siteId: id, owner, branches: e.branches });
    sites.push(site);
  });
  return sites;
}

/** A site or its credentials passed to a logger by mistake shows no secret. */
function redactWhenSerialised(target: object, visible: Record<string, unknown>): void {
  Object.defineProperty(target, "toJSON", { value: () => ({ ...visible, secrets: "[redacted]" }), enumerable: false });
}
