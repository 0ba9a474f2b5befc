import { parseSiteId, siteId, type SiteRef } from "../../core/site.ts";
import { branchOptedIn } from "../../core/site-settings.ts";
import type { BitbucketCredentials } from "../bitbucket/client.ts";

/**
 * Direct mode's sites (docs/architecture.md, "Owners"): repositories deployed by a plain
 * repository webhook and a repository access token, listed by the operator in
 * HOIST_DIRECT_SITES_FILE (read by direct-sites-file.ts).
 */

export type DirectSite = {
  ref: SiteRef;
  siteId: string;
  /** Owner key on deploy records and site stages: never equal to a Connect clientKey. */
  owner: string;
  webhookSecret: string;
  credentials: BitbucketCredentials;
  /** Where the site comes from: the operator's sites file, or a connection made on the dashboard. */
  source: "file" | "dashboard";
  /** Operator allow-list of branch patterns (hoist.json syntax); absent = whatever hoist.json deploys. */
  branches?: string[];
};

const DIRECT_OWNER_PREFIX = "direct:";

export function directOwnerKey(ref: SiteRef): string {
  return `${DIRECT_OWNER_PREFIX}${siteId(ref)}`;
}

export function isDirectOwner(owner: string): boolean {
  return owner.startsWith(DIRECT_OWNER_PREFIX);
}

/** Sites connected on the dashboard (dashboard/connected-sites.ts), seen as direct sites. */
export interface ConnectedSiteSource {
  find(ref: SiteRef): Promise<DirectSite | undefined>;
}

/**
 * The direct sites, looked up by route (workspace/repo) or by owner key: the operator's sites file
 * first (read once at start), then the repositories connected on the dashboard.
 */
export class DirectSites {
  private readonly byId = new Map<string, DirectSite>();

  constructor(
    sites: readonly DirectSite[] = [],
    private readonly connected?: ConnectedSiteSource,
  ) {
    for (const site of sites) this.byId.set(site.siteId, site);
  }

  /** True when the operator's file lists the site (it cannot be connected on the dashboard). */
  inFile(siteId: string): boolean {
    return this.byId.has(siteId);
  }

  async has(siteId: string): Promise<boolean> {
    return (await this.find(parseSiteId(siteId))) !== undefined;
  }

  async find(ref: SiteRef): Promise<DirectSite | undefined> {
    return this.byId.get(siteId(ref)) ?? (await this.connected?.find(ref));
  }

  async credentialsOf(owner: string): Promise<BitbucketCredentials | undefined> {
    if (!isDirectOwner(owner)) return undefined;
    return (await this.find(parseSiteId(owner.slice(DIRECT_OWNER_PREFIX.length))))?.credentials;
  }
}

/** The operator's `branches` allow-list, or undefined when the site has none. */
export function branchAllowList(site: DirectSite): ((branch: string) => boolean) | undefined {
  const branches = site.branches;
  return branches ? (branch) => branchOptedIn({ branches }, branch) : undefined;
}
