import type { DeployView, StageView } from "../api/types.ts";

/**
 * The stage a deploy can be rolled back into: it succeeded, it is earlier than what its stage
 * serves now, and so is not live. Deploy ids are ULIDs, so "earlier" is string order.
 */
export function rollbackTarget(deploy: DeployView, stages: readonly StageView[]): StageView | undefined {
  if (deploy.status !== "succeeded") return undefined;
  const stage = stages.find((s) => s.stage === deploy.stage);
  if (!stage?.liveDeployId) return undefined;
  return deploy.deployId < stage.liveDeployId ? stage : undefined;
}
