import type { DeployStats } from "../api/types.ts";
import { formatBytes } from "../format/bytes.ts";
import { formatCount, plural } from "../format/count.ts";
import { formatSaving } from "../format/percent.ts";

/** What a deploy weighed: archive in, site out, what compression saved and what was new. */
export function DeploySizes({ stats }: { stats: DeployStats }) {
  const blobs = stats.reusedBlobs + stats.uploadedBlobs;
  return (
    <dl className="sizes" aria-label="Deploy sizes">
      <div className="sizes__item">
        <dt>Archive</dt>
        <dd>{formatBytes(stats.archiveBytes)}</dd>
      </div>
      <div className="sizes__item">
        <dt>Site</dt>
        <dd>{formatBytes(stats.originalBytes)}</dd>
      </div>
      <div className="sizes__item">
        <dt>Stored</dt>
        <dd>
          {formatBytes(stats.storedBytes)}{" "}
          <span className="muted">({formatSaving(stats.originalBytes, stats.storedBytes)} saved by compression)</span>
        </dd>
      </div>
      <div className="sizes__item">
        <dt>Uploaded</dt>
        <dd>
          {formatBytes(stats.uploadedBytes)}{" "}
          <span className="muted">
            ({plural(stats.uploadedBlobs, "new file")}, {formatCount(stats.reusedBlobs)} of {formatCount(blobs)} reused)
          </span>
        </dd>
      </div>
      <div className="sizes__item">
        <dt>Files</dt>
        <dd>
          {formatCount(stats.files)} <span className="muted">({formatCount(stats.compressedFiles)} compressed)</span>
        </dd>
      </div>
    </dl>
  );
}
