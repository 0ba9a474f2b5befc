import { createHash } from "node:crypto";
import { z } from "zod";

/**
 * A site is one Bitbucket repository (`workspace/repo`); a stage is its production deploys or
 * one branch's deploys. Each stage is served on its own host label (docs/architecture.md,
 * "Host names"), and the mapping is one-to-one: two different stages never get the same label.
 *
 *   readable:  <repo>--<workspace>, <branch>--<repo>--<workspace>
 *              when every part is lowercase letters and digits in runs joined by single hyphens
 *              (no "--" inside a part, no hyphen at its ends) and the label fits in 63 characters;
 *   hashed:    <hint>---<hash> for everything else ("acme_", "staging--web", "feature/Login",
 *              long names): the hint is a lossy readable prefix, the hash 13 base32 characters
 *              (65 bits) of SHA-256 over the exact workspace, repository and stage.
 *
 * Why it is one-to-one: a readable label splits back into its parts at its "--" (a part holds
 * none, and a production label has one separator where a branch label has two), and it never
 * holds "---"; a hashed label always does, and ends in the hash of exactly its stage.
 */

const SLUG = /^[a-z0-9][a-z0-9._-]{0,99}$/;

export const SlugSchema = z
  .string()
  .transform((s) => s.toLowerCase())
  .refine((s) => SLUG.test(s) && !s.includes(".."), "must be a Bitbucket slug: letters, digits, '.', '_' or '-'");

export type SiteRef = { workspace: string; repo: string };

/** The production stage's name. Branch stages use the branch name itself. */
export const PRODUCTION = "production";

export function siteId(ref: SiteRef): string {
  return `${ref.workspace}/${ref.repo}`;
}

export function parseSiteId(id: string): SiteRef {
  const [workspace, repo, ...rest] = id.split("/");
  const ws = SlugSchema.safeParse(workspace);
  const rp = SlugSchema.safeParse(repo);
  if (!ws.success || !rp.success || rest.length > 0) {
    throw new Error(`"${id}" is not a site: write it as <workspace>/<repo>, for example acme/website`);
  }
  return { workspace: ws.data, repo: rp.data };
}

/** One part of a readable label. */
const READABLE_PART = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const MAX_LABEL = 63;
const HASH_CHARS = 13;
const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

/** The host label of a stage, without the sites domain. */
export function stageHostLabel(ref: SiteRef, stage: string = PRODUCTION): string {
  const parts = stage === PRODUCTION ? [ref.repo, ref.workspace] : [stage, ref.repo, ref.workspace];
  const readable = parts.join("--");
  // "xn--" starts a punycode label, which browsers would try to decode.
  if (parts.every((p) => READABLE_PART.test(p)) && readable.length <= MAX_LABEL && !readable.startsWith("xn--")) return readable;
  const hint = parts
    .map((p) => p.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, ""))
    .filter(Boolean)
    .join("-")
    .slice(0, MAX_LABEL - HASH_CHARS - 3)
    .replace(/-+$/, "")
    .replace(/^xn--/, "xn-");
  return `${hint || "site"}---${labelHash(ref, stage)}`;
}

function labelHash(ref: SiteRef, stage: string): string {
  const digest = createHash("sha256").update(`${ref.workspace}\n${ref.repo}\n${stage}`).digest();
  let out = "";
  for (let bit = 0; out.length < HASH_CHARS; bit += 5) {
    const byte = bit >> 3;
    const window = ((digest[byte]! << 8) | (digest[byte + 1] ?? 0)) >> (11 - (bit & 7));
    out += BASE32[window & 31];
  }
  return out;
}

/**
 * The label a stage had before labels were one-to-one ("_" and "." became "-", "--" was kept).
 * Only to find a site's old host: it keeps answering, then redirects once the site deploys again (sites.ts).
 */
export function legacyStageHostLabel(ref: SiteRef, stage: string = PRODUCTION): string {
  const part = (s: string, max: number) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/-{3,}/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, max)
      .replace(/-+$/, "");
  const base = `${part(ref.repo, 100)}--${part(ref.workspace, 100)}`;
  return stage === PRODUCTION ? base : `${part(stage, 40) || "branch"}--${base}`;
}

export function stageUrl(ref: SiteRef, stage: string, sitesDomain: string, protocol = "http"): string {
  return hostUrl(stageHostLabel(ref, stage), sitesDomain, protocol);
}

export function hostUrl(label: string, sitesDomain: string, protocol = "http"): string {
  return `${protocol}://${label}.${sitesDomain}/`;
}
