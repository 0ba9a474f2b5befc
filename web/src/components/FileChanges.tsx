import type { FileChange } from "../api/types.ts";
import { formatBytes } from "../format/bytes.ts";
import { Lozenge } from "./StatusLozenge.tsx";

const SHOWN = 100;
const TONE = { added: "success", changed: "inprogress", removed: "removed" } as const;

/** Files this deploy added, changed or removed compared with the deploy before it. */
export function FileChanges({ changes, truncated }: { changes: readonly FileChange[]; truncated?: boolean }) {
  if (changes.length === 0) return <p className="muted">No files changed.</p>;
  const shown = changes.slice(0, SHOWN);
  const hidden = changes.length - shown.length;
  return (
    <>
      <ul className="changes">
        {shown.map((c) => (
          <li key={`${c.change}:${c.path}`} className="changes__item">
            <Lozenge tone={TONE[c.change] ?? "default"}>{c.change}</Lozenge>
            <span className="changes__path">{c.path}</span>
            {c.size !== undefined ? <span className="muted">{formatBytes(c.size)}</span> : null}
          </li>
        ))}
      </ul>
      {hidden > 0 || truncated ? (
        <p className="muted">{hidden > 0 ? `and ${hidden} more` : "More files changed than the API lists."}</p>
      ) : null}
    </>
  );
}
