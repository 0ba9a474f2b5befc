import { siteId, type SiteRef } from "../../core/site.ts";
import { branchOptedIn } from "../../core/site-settings.ts";
import type { RepositoryAccessToken } from "../bitbucket/client.ts";

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
  credentials: RepositoryAccessToken;
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

/** The configured direct sites, looked up by route (workspace/repo) or by owner key. */
export class DirectSites {
  private readonly byId = new Map<string, DirectSite>();
  private readonly byOwner = new Map<string, DirectSite>();

  constructor(sites: readonly DirectSite[] = []) {
    for (const site of sites) {
      this.byId.set(site.siteId, site);
      this.byOwner.set(site.owner, site);
    }
  }

  get size(): number {
    return this.byId.size;
  }

  has(siteId: string): boolean {
    return this.byId.has(siteId);
  }

  find(ref: SiteRef): DirectSite | undefined {
    return this.byId.get(`${ref.workspace}/${ref.repo}`);
  }

  credentialsOf(owner: string): RepositoryAccessToken | undefined {
    return this.byOwner.get(owner)?.credentials;
  }
}

/** The operator's `branches` allow-list, or undefined when the site has none. */
export function branchAllowList(site: DirectSite): ((branch: string) => boolean) | undefined {
  const branches = site.branches;
  return branches ? (branch) => branchOptedIn({ branches }, branch) : undefined;
}
