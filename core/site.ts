import { z } from "zod";

/**
 * A site is one Bitbucket repository (`workspace/repo`); a stage is its production deploys or
 * one branch's deploys. Each stage is served on its own host label:
 *   production:  <repo>--<workspace>
 *   branch:      <branch>--<repo>--<workspace>
 * Labels are lowercase DNS-safe; two stages whose labels collide are refused by the publish
 * condition (see sites.ts), never served in each other's place.
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

function dnsLabelPart(s: string, max: number): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-{3,}/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, max)
    .replace(/-+$/, "");
}

/** The host label of a stage, without the sites domain. */
export function stageHostLabel(ref: SiteRef, stage: string = PRODUCTION): string {
  const base = `${dnsLabelPart(ref.repo, 100)}--${dnsLabelPart(ref.workspace, 100)}`;
  if (stage === PRODUCTION) return base;
  return `${dnsLabelPart(stage, 40) || "branch"}--${base}`;
}

export function stageUrl(ref: SiteRef, stage: string, sitesDomain: string, protocol = "http"): string {
  return `${protocol}://${stageHostLabel(ref, stage)}.${sitesDomain}/`;
}
