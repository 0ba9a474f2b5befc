import { type KeyboardEvent, type PointerEvent, useState } from "react";
import { type DeployView, isActiveStatus } from "../api/types.ts";
import { STATUS_LOOK } from "../deploy/status.ts";
import { formatCount } from "../format/count.ts";
import { formatBytes } from "../format/bytes.ts";
import { formatDuration } from "../format/duration.ts";
import { shortCommit } from "./CommitHash.tsx";

const MAX_POINTS = 20;
const W = 400;
const H = 120;
const PAD = 4;

export type TrendPoint = { deploy: DeployView; durationMs: number; siteBytes?: number };

/** The last ≤ 20 finished deploys, oldest first (left to right, as time reads). */
export function trendPoints(deploys: readonly DeployView[]): TrendPoint[] {
  return deploys
    .filter((d) => !isActiveStatus(d.status) && d.status !== "superseded" && d.durationMs !== undefined)
    .slice(0, MAX_POINTS)
    .reverse()
    .map((d) => ({ deploy: d, durationMs: d.durationMs ?? 0, siteBytes: d.stats?.originalBytes }));
}

function range(values: number[]): [number, number] {
  return [Math.min(...values), Math.max(...values)];
}

/** A size change as a person says it: a percentage for small moves, "n times" for big ones (never "up 9255175%"). */
export function sizeChange(first: number, latest: number): string {
  if (first <= 0 || latest <= 0) return first === latest ? "unchanged" : latest > first ? "from nothing" : "to nothing";
  const ratio = latest / first;
  const times = (r: number) => (r >= 10 ? formatCount(Math.round(r)) : r.toFixed(1));
  if (ratio >= 2) return `${times(ratio)} times larger`;
  if (ratio <= 0.5) return `${times(1 / ratio)} times smaller`;
  const change = Math.round((ratio - 1) * 100);
  return change === 0 ? "unchanged" : `${change > 0 ? "up" : "down"} ${Math.abs(change)}%`;
}

/** One sentence a screen reader (and anyone) can read instead of the picture. */
export function trendSummary(points: readonly TrendPoint[]): string {
  if (points.length === 0) return "No finished deploys yet.";
  const durations = points.map((p) => p.durationMs);
  const [dMin, dMax] = range(durations);
  const last = points.at(-1) as TrendPoint;
  let text = `Last ${points.length} deploy${points.length === 1 ? "" : "s"}, oldest first. Duration ${formatDuration(dMin)} to ${formatDuration(dMax)}, latest ${formatDuration(last.durationMs)}.`;
  const sizes = points.filter((p) => p.siteBytes !== undefined).map((p) => p.siteBytes as number);
  if (sizes.length > 0) {
    const first = sizes[0] as number;
    const latest = sizes.at(-1) as number;
    text += ` Site size ${formatBytes(first)} to ${formatBytes(latest)} (${sizeChange(first, latest)}).`;
  }
  return text;
}

/** What a person reads about one plotted deploy: the pointer's readout and the bar's tooltip. */
export function describePoint(p: TrendPoint): string {
  const message = p.deploy.message?.split("\n", 1)[0];
  const parts = [
    `${shortCommit(p.deploy.commit)}${message ? ` “${message}”` : ""}`,
    STATUS_LOOK[p.deploy.status].label,
    `took ${formatDuration(p.durationMs)}`,
  ];
  if (p.siteBytes !== undefined) parts.push(`site ${formatBytes(p.siteBytes)}`);
  return parts.join(" · ");
}

/**
 * Duration as bars (coloured by outcome), site size as a line: a trend seen, not read.
 * Both vertical axes are named with their units and ends; the deploy under the pointer (or
 * chosen with the arrow keys once the chart has focus) is named below the chart.
 */
export function TrendChart({ deploys }: { deploys: readonly DeployView[] }) {
  const [chosen, setChosen] = useState<number | undefined>(undefined);
  const points = trendPoints(deploys);
  const summary = trendSummary(points);
  if (points.length < 2) return null;
  const maxDuration = Math.max(...points.map((p) => p.durationMs), 1);
  const sized = points.map((p, i) => ({ i, bytes: p.siteBytes })).filter((p): p is { i: number; bytes: number } => p.bytes !== undefined);
  const maxBytes = Math.max(...sized.map((p) => p.bytes), 1);
  const minBytes = Math.min(...sized.map((p) => p.bytes), maxBytes);
  // Size moves by percents, not multiples: scale the line to its own range (10–90% of the
  // height) so a trend is visible; the right-hand axis states that range in numbers.
  const sizeY = (v: number) => {
    const span = maxBytes - minBytes;
    const t = span > 0 ? (v - minBytes) / span : 0.5;
    return H - PAD - (0.1 + 0.8 * t) * (H - PAD * 2);
  };
  const slot = (W - PAD * 2) / points.length;
  const barW = Math.max(2, slot * 0.6);
  const x = (i: number) => PAD + slot * i + slot / 2;
  const y = (v: number, max: number) => H - PAD - (v / max) * (H - PAD * 2);
  const line = sized.map((p, k) => `${k === 0 ? "M" : "L"}${x(p.i).toFixed(1)},${sizeY(p.bytes).toFixed(1)}`).join(" ");
  const selected = chosen !== undefined && chosen < points.length ? chosen : undefined;
  const selectedPoint = selected !== undefined ? points[selected] : undefined;

  const pointAt = (event: PointerEvent<HTMLDivElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    if (box.width <= 0) return;
    const vx = ((event.clientX - box.left) / box.width) * W;
    setChosen(Math.min(points.length - 1, Math.max(0, Math.floor((vx - PAD) / slot))));
  };
  const step = (event: KeyboardEvent<HTMLDivElement>) => {
    const last = points.length - 1;
    const moves: Record<string, number> = {
      ArrowLeft: Math.max(0, (selected ?? last + 1) - 1),
      ArrowRight: Math.min(last, (selected ?? -1) + 1),
      Home: 0,
      End: last,
    };
    const next = moves[event.key];
    if (next === undefined) return;
    event.preventDefault();
    setChosen(next);
  };

  return (
    <section className="trend" aria-labelledby="trend-heading">
      <h2 id="trend-heading" className="section-heading">
        Trend
      </h2>
      <figure className="trend__figure">
        <div className="trend__plot">
          <div className="trend__axis trend__axis--duration">
            <span className="trend__axis-name">Duration</span>
            <span className="trend__tick">{formatDuration(maxDuration)}</span>
            <span className="trend__tick trend__tick--end">0 s</span>
          </div>
          {/* A slider over the plotted deploys: the arrow keys step through them, each read out by name. */}
          <div
            className="trend__canvas"
            tabIndex={0}
            role="slider"
            aria-label="Deploy in the trend chart"
            aria-valuemin={1}
            aria-valuemax={points.length}
            aria-valuenow={(selected ?? points.length - 1) + 1}
            aria-valuetext={describePoint(selectedPoint ?? (points.at(-1) as TrendPoint))}
            onPointerMove={pointAt}
            onPointerDown={pointAt}
            onPointerLeave={() => setChosen(undefined)}
            onBlur={() => setChosen(undefined)}
            onKeyDown={step}
          >
            <svg className="trend__svg" viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={summary} focusable="false">
              {points.map((p, i) => {
                const top = y(p.durationMs, maxDuration);
                return (
                  <rect
                    key={p.deploy.deployId}
                    className={`trend__bar trend__bar--${p.deploy.status}${i === selected ? " trend__bar--chosen" : ""}`}
                    x={x(i) - barW / 2}
                    y={top}
                    width={barW}
                    height={H - PAD - top}
                  >
                    <title>{describePoint(p)}</title>
                  </rect>
                );
              })}
              {sized.length > 1 ? <path className="trend__line" d={line} vectorEffect="non-scaling-stroke" /> : null}
            </svg>
          </div>
          {sized.length > 0 ? (
            <div className="trend__axis trend__axis--size">
              <span className="trend__axis-name">Site size</span>
              <span className="trend__tick">{formatBytes(maxBytes)}</span>
              <span className="trend__tick trend__tick--end">{formatBytes(minBytes)}</span>
            </div>
          ) : null}
        </div>
        <div className="trend__axis trend__axis--deploys">
          <span>
            Last {points.length} deploys, oldest first <span aria-hidden="true">→</span> newest
          </span>
        </div>
        <p className="trend__readout">
          {selectedPoint ? describePoint(selectedPoint) : "Point at a bar, or focus the chart and use the arrow keys, to name its deploy."}
        </p>
        <figcaption className="trend__caption">
          <span className="trend__legend">
            <span className="trend__swatch trend__swatch--bar" aria-hidden="true" /> Bars: how long each deploy took
          </span>
          {sized.length > 0 ? (
            <span className="trend__legend">
              <span className="trend__swatch trend__swatch--line" aria-hidden="true" /> Line: site size after it
            </span>
          ) : null}
          <span className="trend__summary">{summary}</span>
        </figcaption>
      </figure>
    </section>
  );
}
