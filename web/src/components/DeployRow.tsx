import type { ApiClient } from "../api/client.ts";
import type { DeployView, StageView } from "../api/types.ts";
import { continuedLine, currentRun } from "../deploy/continuation.ts";
import { timeoutHeadline } from "../deploy/timeout.ts";
import { formatBytes } from "../format/bytes.ts";
import { formatCount } from "../format/count.ts";
import { percentOf } from "../format/percent.ts";
import { formatDuration } from "../format/duration.ts";
import { isLive } from "../state/merge.ts";
import { CommitHash } from "./CommitHash.tsx";
import { type DeployActions, DeployDetail } from "./DeployDetail.tsx";
import { RelativeTime } from "./RelativeTime.tsx";
import { LiveLozenge, StatusLozenge } from "./StatusLozenge.tsx";

type Props = DeployActions & {
  deploy: DeployView;
  stages: readonly StageView[];
  client: ApiClient;
  now: number;
  expanded: boolean;
  onToggle: (deployId: string) => void;
};

/** One line of the outcome in the collapsed row, so failures are seen without opening them. */
function outcomeLine(d: DeployView): string | undefined {
  if (d.status === "timed_out") return timeoutHeadline(d);
  if (d.status === "failed") return [d.reason, d.reasonMessage].filter(Boolean).join(": ") || "Failed";
  if (d.status === "running" && d.progress) {
    const p = d.progress;
    const pct = p.archiveBytes ? percentOf(p.archiveBytesRead, p.archiveBytes) : undefined;
    return `${formatCount(p.filesDone)} files published${pct === undefined ? "" : `, ${pct}% of the archive read`}`;
  }
  return undefined;
}

/** "Continued 2 times" for a deploy handed on to new runs; while it runs, also the run it is in. */
export function continuationLine(d: DeployView): string | undefined {
  const line = continuedLine(d);
  if (!line) return undefined;
  return d.status === "running" ? `${line} · run ${currentRun(d)}` : line;
}

/** The deploy's size at a glance: files, site size, and what was uploaded versus reused. */
export function sizeLine(d: DeployView): string | undefined {
  const st = d.stats;
  if (!st || st.files === 0) return undefined;
  return `${formatCount(st.files)} ${st.files === 1 ? "file" : "files"} · ${formatBytes(st.originalBytes)} · ${formatBytes(st.uploadedBytes)} uploaded, ${formatCount(st.reusedBlobs)} reused`;
}

export function DeployRow({ deploy, stages, client, now, expanded, onToggle, onRollback, onRedeploy }: Props) {
  const detailId = `deploy-detail-${deploy.deployId}`;
  const live = isLive(deploy, stages);
  const outcome = outcomeLine(deploy);
  const continued = continuationLine(deploy);
  const summary = deploy.message?.split("\n", 1)[0] || "(no commit message)";
  return (
    <li className={`row${expanded ? " row--expanded" : ""}`} data-status={deploy.status}>
      <button
        type="button"
        className="row__toggle"
        aria-expanded={expanded}
        aria-controls={expanded ? detailId : undefined}
        onClick={() => onToggle(deploy.deployId)}
      >
        <span className="row__status">
          <StatusLozenge status={deploy.status} phase={deploy.phase} />
          {live ? <LiveLozenge /> : null}
        </span>
        <span className="row__main">
          <span className="row__message">{summary}</span>
          <span className="row__meta">
            <CommitHash commit={deploy.commit} />
            <span className="row__branch" title={`Branch ${deploy.branch}`}>
              {deploy.branch}
            </span>
            {deploy.author ? <span className="row__author">{deploy.author}</span> : null}
          </span>
          {outcome ? <span className={`row__outcome row__outcome--${deploy.status}`}>{outcome}</span> : null}
          {continued ? (
            <span className="row__continued" title="Handed on to a new run of the deployer at its time limit">
              {continued}
            </span>
          ) : null}
          {sizeLine(deploy) ? (
            <span className="row__size" title="Files · site size · uploaded by this deploy, blobs reused from earlier ones">
              {sizeLine(deploy)}
            </span>
          ) : null}
        </span>
        <span className="row__when">
          <RelativeTime iso={deploy.queuedAt} now={now} />
          {deploy.durationMs ? (
            <span className="row__duration" title="Duration">
              {formatDuration(deploy.durationMs)}
            </span>
          ) : null}
        </span>
      </button>
      {expanded ? (
        <DeployDetail
          id={detailId}
          client={client}
          summary={{ ...deploy, live }}
          stages={stages}
          onRollback={onRollback}
          onRedeploy={onRedeploy}
        />
      ) : null}
    </li>
  );
}
