import type { DeployView, StageView } from "../api/types.ts";

const newestFirst = (a: DeployView, b: DeployView) => (a.deployId < b.deployId ? 1 : a.deployId > b.deployId ? -1 : 0);

/**
 * Folds a freshly fetched first page into the history already on screen (polling, a redeploy).
 * Fresh copies win; rows loaded further down are kept; order stays newest first (deploy ids are
 * ULIDs, so string order is time order).
 */
export function mergeFirstPage(current: readonly DeployView[], fresh: readonly DeployView[]): DeployView[] {
  const byId = new Map<string, DeployView>();
  for (const d of current) byId.set(d.deployId, d);
  for (const d of fresh) byId.set(d.deployId, d);
  return [...byId.values()].sort(newestFirst);
}

/** Adds deploys from a "Load more" page below the ones shown, skipping any already there. */
export function appendPage(current: readonly DeployView[], page: readonly DeployView[]): DeployView[] {
  const seen = new Set(current.map((d) => d.deployId));
  return [...current, ...page.filter((d) => !seen.has(d.deployId))];
}

/**
 * Whether a deploy is live, by the site's stage pointers (one fetch, always consistent) rather
 * than each row's own `live` flag, which goes stale in rows fetched before a rollback.
 */
export function isLive(deploy: DeployView, stages: readonly StageView[]): boolean {
  const stage = stages.find((s) => s.stage === deploy.stage);
  return stage ? stage.liveDeployId === deploy.deployId : deploy.live;
}
