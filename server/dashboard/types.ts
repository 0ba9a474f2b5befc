/**
 * The dashboard API's wire format (besides the panel API it shares, panel-api/types.ts), for web/.
 *
 *   GET    /dashboard/api/me                          → MeResponse
 *   GET    /dashboard/api/sites                       → SitesResponse   (every site the user can read)
 *   GET    /dashboard/api/repositories?q=&after=      → RepositoriesResponse (what the user administers, 50 a page)
 *   POST   /dashboard/api/sites  ConnectRequest       → 201 { site: SiteSummary }   (admin)
 *   DELETE /dashboard/api/sites/:workspace/:repo      → 204                          (admin)
 *   …and /dashboard/api/sites/:workspace/:repo/…      the panel API (read; write to roll back or redeploy)
 * Changes carry `X-CSRF-Token` (from MeResponse). Errors: `{ error: { code, message } }`.
 */
import type { DeployView } from "../panel-api/types.ts";

export type Permission = "read" | "write" | "admin";

export type MeResponse = { user: { uuid: string; nickname: string; displayName: string }; csrf: string };

export type SiteSummary = {
  siteId: string;
  workspace: string;
  repo: string;
  /** What the user may do, as Bitbucket says. */
  permission: Permission;
  /** How pushes reach Hoist: connected on the dashboard, the operator's sites file, or the Connect app. */
  source: "dashboard" | "file" | "connect";
  /** Dashboard connections only. */
  connected?: boolean;
  /** Set when Bitbucket rejected the site's credentials: what to do. */
  attention?: string;
  url: string;
  latest?: Pick<DeployView, "deployId" | "status" | "commit" | "branch" | "queuedAt" | "finishedAt" | "stats" | "reason" | "reasonMessage">;
};

export type SitesResponse = { sites: SiteSummary[] };

export type RepositoryChoice = { siteId: string; workspace: string; repo: string; connectable: boolean; why?: string };
/** One page, sorted by name; `next` (when there are more) is the `after` for the next page. */
export type RepositoriesResponse = { repositories: RepositoryChoice[]; next?: string };

export type ConnectRequest = { workspace: string; repo: string; accessToken?: string };
