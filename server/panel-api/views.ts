import type { DeployRecord, DeployRun } from "../../core/deploy-records.ts";
import { hostUrl, parseSiteId, stageUrl } from "../../core/site.ts";
import type { SiteStage } from "../../core/sites.ts";
import type { DeployView, StageView } from "./types.ts";

/** Deploy records and stage items as the panel sees them: no run ids, leases or staging keys. */
export function deployView(record: DeployRecord, ctx: { liveIds: Set<string>; sitesDomain: string; commitBaseUrl?: string }): DeployView {
  const ref = parseSiteId(record.siteId);
  return {
    deployId: record.deployId,
    siteId: record.siteId,
    stage: record.stage,
    branch: record.branch,
    commit: record.commit,
    author: record.author,
    message: record.message,
    trigger: record.trigger,
    status: record.status,
    reason: record.reason,
    reasonMessage: record.reasonMessage,
    queuedAt: record.queuedAt,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
    durationMs: record.durationMs,
    stats: record.stats,
    progress: record.progress,
    phase: record.phase,
    continuations: record.continuations,
    runs: record.runs?.map(runView),
    url: record.url ?? stageUrl(ref, record.stage, ctx.sitesDomain),
    live: ctx.liveIds.has(record.deployId),
    commitUrl: ctx.commitBaseUrl ? `${ctx.commitBaseUrl}/${ref.workspace}/${ref.repo}/commits/${record.commit}` : undefined,
  };
}

/** One run's summary, field by field: whatever else a stored run item carries stays on the server. */
function runView(run: DeployRun): DeployRun {
  return {
    run: run.run,
    startedAt: run.startedAt,
    elapsedMs: run.elapsedMs,
    filesStored: run.filesStored,
    bytesStored: run.bytesStored,
    filesResumed: run.filesResumed,
    skipMs: run.skipMs,
    archiveBytesRead: run.archiveBytesRead,
    ended: run.ended,
  };
}

export function stageView(stage: SiteStage, sitesDomain: string, live?: DeployView): StageView {
  return {
    stage: stage.stage,
    host: `${stage.host}.${sitesDomain}`,
    url: hostUrl(stage.host, sitesDomain),
    liveDeployId: stage.liveDeployId,
    live,
  };
}
