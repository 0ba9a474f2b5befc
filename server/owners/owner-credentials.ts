import type { Installations } from "../addon/installations.ts";
import type { BitbucketCredentials } from "../bitbucket/client.ts";
import { isForgeOwner } from "../forge/owner.ts";
import { isDirectOwner, type DirectSites } from "./direct-sites.ts";

/**
 * An owner is whoever a site's stages and deploys belong to, named by one key (docs/architecture.md,
 * "Owners"): a Connect installation's clientKey, or a direct site's `direct:<ws>/<repo>`. The
 * deploy pipeline (queueDeploy, the queue, the archive fetch, build statuses) only ever asks this
 * interface for an owner's Bitbucket credentials; it never knows which kind it holds (a Forge
 * installation, `forge:<installation id>`, answers with the newest product token Forge sent). Two
 * questions, because Connect answers them differently:
 *   forDeploy  may this owner fetch and deploy now? (Connect: installed AND verified)
 *   forStatus  may Hoist still tell Bitbucket about this owner's deploy? (Connect: installed)
 * A direct site answers both from the sites file: a site removed from it stops deploying and posting.
 */
export interface OwnerCredentials {
  forDeploy(owner: string): Promise<BitbucketCredentials | undefined>;
  forStatus(owner: string): Promise<BitbucketCredentials | undefined>;
}

/** Forge installations' owners (`forge:<installation id>`, server/forge/open-forge.ts): their newest live system token. */
export type ForgeOwners = { credentials(owner: string): Promise<BitbucketCredentials | undefined> };

export function ownerCredentials(installations: Installations, direct: DirectSites, forge?: ForgeOwners): OwnerCredentials {
  return {
    forDeploy: (owner) => (isDirectOwner(owner) ? direct.credentialsOf(owner) : isForgeOwner(owner) ? (forge?.credentials(owner) ?? Promise.resolve(undefined)) : installations.getActive(owner)),
    forStatus: async (owner) => {
      if (isDirectOwner(owner)) return direct.credentialsOf(owner);
      if (isForgeOwner(owner)) return forge?.credentials(owner);
      const inst = await installations.get(owner);
      return inst && inst.state.status === "installed" ? inst : undefined;
    },
  };
}
