import type { SiteRef } from "../../lambda/core/site.ts";
import type { RepositoryAccessToken } from "../bitbucket/client.ts";
import type { Installations } from "../connect/installations.ts";
import { installationCredentials, type OwnerCredentials } from "../push/owner-credentials.ts";
import { branchOptedIn } from "../repo-config/hoist-config.ts";
import { DIRECT_OWNER_PREFIX, type DirectSite } from "./sites-file.ts";

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

/**
 * Owners of both kinds behind one OwnerCredentials: `direct:` keys are answered from the sites
 * file (a site removed from it stops deploying and posting), everything else by Connect.
 */
export function ownerCredentials(installations: Installations, direct: DirectSites): OwnerCredentials {
  const connect = installationCredentials(installations);
  const isDirect = (owner: string) => owner.startsWith(DIRECT_OWNER_PREFIX);
  return {
    forDeploy: async (owner) => (isDirect(owner) ? direct.credentialsOf(owner) : connect.forDeploy(owner)),
    forStatus: async (owner) => (isDirect(owner) ? direct.credentialsOf(owner) : connect.forStatus(owner)),
  };
}
