import type { DeployLogLine } from "../api/types.ts";

const CLOCK = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });

/** Local wall-clock time, like the relative times above it; the full instant is in the title. */
function clock(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? "" : CLOCK.format(t);
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
          <time dateTime={line.t} className="log__time" title={line.t}>
            {clock(line.t)}
          </time>{" "}
          {line.level !== "info" ? <span className="log__level">{line.level.toUpperCase()} </span> : null}
          <span className="log__msg">{line.msg}</span>
        </li>
      ))}
    </ol>
  );
}
