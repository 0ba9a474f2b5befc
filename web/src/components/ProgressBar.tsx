import type { DeployProgress } from "../api/types.ts";
import { formatBytes } from "../format/bytes.ts";
import { formatCount } from "../format/count.ts";
import { percentOf } from "../format/percent.ts";

/**
 * Live progress of a running deploy. The bar follows the archive read (its size is known up
 * front, so the bar never runs backwards); the files done are stated beside it. A deploy handed
 * on to new runs counts its files across all of them, and says which run it is in (`run`).
 */
export function ProgressBar({ progress, run }: { progress?: DeployProgress; run?: number }) {
  const pct = progress?.archiveBytes ? percentOf(progress.archiveBytesRead, progress.archiveBytes) : undefined;
  const label = progress
    ? `${formatCount(progress.filesDone)} files (${formatBytes(progress.bytesDone)}) published${
        progress.archiveBytes ? `, ${formatBytes(progress.archiveBytesRead)} of ${formatBytes(progress.archiveBytes)} archive read` : ""
      }${run !== undefined && run > 1 ? ` · run ${run}` : ""}`
    : "Waiting for the deployer to start";
  return (
    <div className="progress">
      <div
        className={`progress__track${pct === undefined ? " progress__track--indeterminate" : ""}`}
        role="progressbar"
        aria-label="Deploy progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
        aria-valuetext={pct === undefined ? label : `${pct}%: ${label}`}
      >
        <div className="progress__fill" style={{ width: `${pct ?? 30}%` }} />
      </div>
      <p className="progress__label">
        {pct === undefined ? "" : `${pct}% · `}
        {label}
      </p>
    </div>
  );
}
