/**
 * The panel API's wire types, re-exported from the contract in server/panel-api/types.ts.
 * Types only: web/ never imports server values (DESIGN §2), and these imports vanish at build.
 */
export type {
  ApiError,
  DeployDetailResponse,
  DeployLogLine,
  DeployPage,
  DeployProgress,
  DeployRun,
  DeployStats,
  DeployStatus,
  DeployTrigger,
  DeployView,
  FileChange,
  RedeployRequest,
  RollbackRequest,
  SiteResponse,
  StageView,
} from "../../../server/panel-api/types.ts";

import type { DeployStatus } from "../../../server/panel-api/types.ts";

/** Statuses that can still change: the panel polls while one of these is on screen. */
export function isActiveStatus(status: DeployStatus): boolean {
  return status === "queued" || status === "running";
}
