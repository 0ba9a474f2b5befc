import type { DeployLogLine } from "../api/types.ts";

function clock(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toISOString().slice(11, 19);
}

/** The deployer's own log lines, as text in a scrollable block. */
export function DeployLog({ lines }: { lines: readonly DeployLogLine[] }) {
  if (lines.length === 0) return <p className="muted">No log lines.</p>;
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable to scroll by keyboard
    <ol className="log" tabIndex={0} aria-label="Deploy log">
      {lines.map((line, i) => (
        // Log lines have no id and never reorder: the index is their identity.
        // biome-ignore lint/suspicious/noArrayIndexKey: see above
        <li key={i} className={`log__line log__line--${line.level}`}>
          <time dateTime={line.t} className="log__time">
            {clock(line.t)}
          </time>{" "}
          {line.level !== "info" ? <span className="log__level">{line.level.toUpperCase()} </span> : null}
          <span className="log__msg">{line.msg}</span>
        </li>
      ))}
    </ol>
  );
}
