import type { DeployView } from "../api/types.ts";
import { continuationsOf, currentRun, runEnding } from "../deploy/continuation.ts";
import { formatBytes } from "../format/bytes.ts";
import { formatCount } from "../format/count.ts";
import { formatDuration } from "../format/duration.ts";

/**
 * The runs of a deploy that outlived one run of the deployer, oldest first: how long each took,
 * what it stored itself, what it took over from earlier runs, how long it spent re-reading the
 * archive up to where they had got, and how it ended. Nothing for a deploy that needed one run.
 */
export function DeployRuns({ deploy }: { deploy: Pick<DeployView, "runs" | "continuations" | "status"> }) {
  const runs = deploy.runs ?? [];
  const now = currentRun(deploy);
  // While running, the run in progress has no summary yet: it gets a row of its own.
  const inProgress = deploy.status === "running" && continuationsOf(deploy) > 0 && !runs.some((r) => r.run === now);
  if (runs.length === 0 && !inProgress) return null;
  return (
    <section aria-label="Runs">
      <h4 className="detail__heading">Runs</h4>
      <table className="runs" aria-label="Runs of this deploy">
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Duration</th>
            <th scope="col">Files stored</th>
            <th scope="col">Taken over</th>
            <th scope="col" title="Time spent re-reading the archive up to where earlier runs had got">
              Re-reading archive
            </th>
            <th scope="col">Ended</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.run}>
              <th scope="row">{r.run}</th>
              <td>{formatDuration(r.elapsedMs)}</td>
              <td>
                {formatCount(r.filesStored)} <span className="muted">({formatBytes(r.bytesStored)})</span>
              </td>
              <td>{formatCount(r.filesResumed)}</td>
              <td>{formatDuration(r.skipMs)}</td>
              <td>{runEnding(r.ended)}</td>
            </tr>
          ))}
          {inProgress ? (
            <tr>
              <th scope="row">{now}</th>
              <td>–</td>
              <td>–</td>
              <td>–</td>
              <td>–</td>
              <td>running now</td>
            </tr>
          ) : null}
        </tbody>
      </table>
    </section>
  );
}
