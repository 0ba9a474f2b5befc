/**
 * The panel API's wire format: the contract between server/panel-api and the web/ panel.
 * web/ imports these types only (never values). All routes answer JSON; errors are
 * `{ error: { code, message } }` with a 4xx/5xx status, never a stack trace.
 *
 * Auth: `Authorization: JWT <session token>` (ACE's checkValidToken); every response carries a
 * fresh token in the `X-acpt` header, which the panel uses for its next call.
 *
 *   GET  /api/sites/:workspace/:repo                      → SiteResponse
 *   GET  /api/sites/:workspace/:repo/deploys?limit&cursor&stage → DeployPage (newest first)
 *   GET  /api/sites/:workspace/:repo/deploys/:deployId    → DeployDetailResponse
 *   POST /api/sites/:workspace/:repo/rollback  RollbackRequest → SiteResponse   (409 rollback.conflict)
 *   POST /api/sites/:workspace/:repo/redeploy  RedeployRequest → 202 { deploy: DeployView }
 */
import type { DeployLogLine, DeployProgress, DeployRecord, DeployRun, DeployStats, DeployStatus, DeployTrigger } from "../../core/deploy-records.ts";

export type { DeployLogLine, DeployProgress, DeployRun, DeployStats, DeployStatus, DeployTrigger };

/**
 * A deploy as the panel sees it: the record's public fields, without run bookkeeping (lease, run
 * id, staging key). `continuations` and `runs` are there for a deploy that outlived one run of the
 * deployer: how often it was handed on, and one summary per run (only when there was more than one).
 */
export type DeployView = Pick<
  DeployRecord,
  | "deployId"
  | "siteId"
  | "stage"
  | "branch"
  | "commit"
  | "author"
  | "message"
  | "trigger"
  | "status"
  | "reason"
  | "reasonMessage"
  | "queuedAt"
  | "startedAt"
  | "finishedAt"
  | "durationMs"
  | "stats"
  | "progress"
  | "phase"
  | "url"
  | "continuations"
  | "runs"
> & {
  /** True when this deploy is what its stage serves right now. */
  live: boolean;
  /** Link to the commit's build status in Bitbucket, when known. */
  commitUrl?: string;
};

export type StageView = {
  stage: string;
  host: string;
  url: string;
  liveDeployId?: string;
  live?: DeployView;
};

export type SiteResponse = {
  site: { siteId: string; workspace: string; repo: string; stages: StageView[] };
};

export type DeployPage = { deploys: DeployView[]; nextCursor?: string };

export type FileChange = { path: string; change: "added" | "changed" | "removed"; size?: number };

export type DeployDetailResponse = {
  deploy: DeployView & { log: DeployLogLine[]; changes?: FileChange[]; changesTruncated?: boolean };
};

export type RollbackRequest = { deployId: string; stage?: string; expectedLiveDeployId?: string };
export type RedeployRequest = { commit: string; branch?: string };

export type ApiError = { error: { code: string; message: string } };
