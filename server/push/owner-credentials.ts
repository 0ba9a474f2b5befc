import type { BitbucketCredentials } from "../bitbucket/client.ts";
import type { Installations } from "../connect/installations.ts";

/**
 * How the deploy pipeline gets Bitbucket credentials for a deploy's owner (the record's
 * `clientKey`): a Connect installation's clientKey, or a direct site's `direct:<ws>/<repo>`.
 * The pipeline (push handler, queue, fetch, statuses) only ever asks this; it never knows
 * which kind it holds. Two questions, because Connect answers them differently:
 *   forDeploy  may this owner fetch and deploy now? (Connect: installed AND verified)
 *   forStatus  may Hoist still tell Bitbucket about this owner's deploy? (Connect: installed)
 */
export interface OwnerCredentials {
  forDeploy(owner: string): Promise<BitbucketCredentials | undefined>;
  forStatus(owner: string): Promise<BitbucketCredentials | undefined>;
}

/** Connect installations as owners (the only kind before direct mode). */
export function installationCredentials(installations: Installations): OwnerCredentials {
  return {
    forDeploy: (clientKey) => installations.getActive(clientKey),
    forStatus: async (clientKey) => {
      const inst = await installations.get(clientKey);
      return inst && inst.state.status === "installed" ? inst : undefined;
    },
  };
}
