import type { Router } from "express";
import type { Clients } from "../../core/aws.ts";
import type { Config } from "../../core/config.ts";
import type { Logger } from "../../core/log.ts";
import type { BitbucketClient } from "../bitbucket/client.ts";
import type { DirectSites } from "../owners/direct-sites.ts";
import type { OwnerCredentials } from "../owners/owner-credentials.ts";
import { PanelHtml } from "../panel/panel-html.ts";
import { DEFAULT_WEB_DIR } from "../panel/serve-panel.ts";
import { panelApiRouter, type PanelApiDeps } from "../panel-api/routes.ts";
import { RepoAccess } from "./access.ts";
import { authRouter } from "./auth-routes.ts";
import { ConnectedSites } from "./connected-sites.ts";
import { dashboardPage } from "./dashboard-page.ts";
import { dashboardDoor, dashboardRouter } from "./dashboard-routes.ts";
import { oauthSettings, UserTokens } from "./oauth.ts";
import { loadSecretKey, SecretBox } from "./secret-box.ts";
import { sessionCookies } from "./session.ts";
import { DashboardStore, dashboardTable, ensureDashboardTable } from "./store.ts";

/**
 * The dashboard, composed (docs/architecture.md, "The dashboard"): present only when an OAuth
 * consumer is configured. `connected` feeds the push pipeline (direct sites connected here);
 * `mount` adds sign-in, the dashboard API, its panel API door and the page.
 */
export type Dashboard = {
  connected: ConnectedSites;
  /** A connected site whose credentials Bitbucket refused "needs attention" (`message`), until they work again (undefined). */
  attention(siteId: string, message: string | undefined): Promise<void>;
  mount(routes: Router, deps: { panel: PanelApiDeps; direct: DirectSites; credentials: OwnerCredentials }): void;
};

export async function openDashboard(deps: { config: Config; clients: Clients; bitbucket: BitbucketClient; logger: Logger; webDir?: string }): Promise<Dashboard | undefined> {
  const settings = oauthSettings(deps.config);
  if (!settings) return undefined;
  const key = loadSecretKey(deps.config);
  await ensureDashboardTable(deps.clients.dynamo, deps.config);
  const store = new DashboardStore(deps.clients.db, dashboardTable(deps.config), new SecretBox(key));
  const tokens = new UserTokens(store, settings);
  const cookies = sessionCookies(deps.config, key);
  const connected = new ConnectedSites(store, tokens, settings);
  const logger = deps.logger.child({ component: "dashboard" });
  return {
    connected,
    attention: async (siteId, message) => {
      const connection = await store.getConnection(siteId);
      if (connection?.state !== "connected" || connection.attention === message) return;
      await store.setConnectionState(siteId, "connected", message);
      if (message) logger.warn({ siteId }, "a connected site's credentials were refused by Bitbucket; the dashboard shows it");
    },
    mount(routes, m) {
      const access = new RepoAccess(deps.bitbucket);
      const api = { settings, store, cookies, tokens, access, bitbucket: deps.bitbucket, records: m.panel.records, sites: m.panel.sites, direct: m.direct, credentials: m.credentials, baseUrl: deps.config.baseUrl, sitesDomain: deps.config.sitesDomain, logger };
      routes.use(authRouter({ settings, store, cookies, tokens, bitbucket: deps.bitbucket, baseUrl: deps.config.baseUrl, logger }));
      routes.use(dashboardRouter(api));
      routes.use(panelApiRouter(m.panel, dashboardDoor(api)));
      routes.use(dashboardPage({ html: new PanelHtml(deps.webDir ?? DEFAULT_WEB_DIR) }));
    },
  };
}
