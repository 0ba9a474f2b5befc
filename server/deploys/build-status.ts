import type { DeployRecord } from "../../core/deploy-records.ts";
import { parseSiteId, PRODUCTION, stageUrl } from "../../core/site.ts";
import type { BuildStatus } from "../bitbucket/client.ts";

/**
 * The build status Bitbucket shows on a deploy's commit. One key per stage, so a branch stage
 * and production each keep their own line, and each new state overwrites the last.
 *   queued/running → INPROGRESS; succeeded → SUCCESSFUL with the live URL;
 *   failed/timed_out → FAILED with the reason ("timed out" says so); superseded → STOPPED.
 */
export function buildStatusOf(record: DeployRecord, sitesDomain: string): BuildStatus {
  const url = record.url ?? stageUrl(parseSiteId(record.siteId), record.stage, sitesDomain);
  const key = record.stage === PRODUCTION ? "hoist" : `hoist-${record.stage}`.slice(0, 255);
  const name = record.stage === PRODUCTION ? "Hoist deploy" : `Hoist deploy (${record.stage})`.slice(0, 255);
  const base = { key, name, url, refname: record.branch };
  switch (record.status) {
    case "queued":
    case "running":
      return { ...base, state: "INPROGRESS", description: "Deploying…" };
    case "succeeded":
      return { ...base, state: "SUCCESSFUL", description: `Live at ${url}` };
    case "superseded":
      return { ...base, state: "STOPPED", description: "Skipped: a newer push to this branch was deployed instead." };
    case "timed_out":
      return { ...base, state: "FAILED", description: clip(`Timed out (${record.reason ?? "deploy.timed_out"}): ${record.reasonMessage ?? "the deployer ran out of time"}`) };
    case "failed":
      return { ...base, state: "FAILED", description: clip(`Failed (${record.reason ?? "deploy.internal"}): ${record.reasonMessage ?? ""}`) };
  }
}

function clip(text: string): string {
  return text.length > 1000 ? `${text.slice(0, 999)}…` : text;
}
