import type { SiteRef } from "../../core/site.ts";
import { siteId } from "../../core/site.ts";
import type { BitbucketCredentials } from "../bitbucket/client.ts";
import { directOwnerKey, type ConnectedSiteSource, type DirectSite } from "../owners/direct-sites.ts";
import type { OAuthSettings, UserTokens } from "./oauth.ts";
import type { DashboardStore } from "./store.ts";

/**
 * Repositories connected on the dashboard, as the push pipeline sees them: direct sites whose
 * webhook secret and credentials live in the dashboard table. A disconnected one is no site at
 * all (its webhook answers 401, nothing is recorded). Credentials: the repository access token an
 * admin pasted, else the OAuth grant of the user who connected it.
 */
export class ConnectedSites implements ConnectedSiteSource {
  constructor(
    private readonly store: DashboardStore,
    private readonly tokens: UserTokens,
    private readonly settings: OAuthSettings,
  ) {}

  async find(ref: SiteRef): Promise<DirectSite | undefined> {
    const connection = await this.store.getConnection(siteId(ref));
    if (connection?.state !== "connected") return undefined;
    const owner = directOwnerKey(ref);
    const credentials: BitbucketCredentials = connection.accessToken
      ? { kind: "repository-token", owner, accessToken: connection.accessToken, baseUrl: this.settings.bitbucketUrl, baseApiUrl: this.settings.apiUrl }
      : this.tokens.credentials(connection.connectedBy.uuid);
    return { ref, siteId: siteId(ref), owner, webhookSecret: connection.webhookSecret, credentials, source: "dashboard" };
  }
}
