import type { DeployProgress, DeployView } from "../api/types.ts";
import { formatBytes } from "../format/bytes.ts";
import { formatCount } from "../format/count.ts";
import { formatDuration } from "../format/duration.ts";
import { percentOf } from "../format/percent.ts";
import { continuationsOf, currentRun } from "./continuation.ts";

/**
 * "Timed out after 58 s at 61% of the archive (12,034 of 19,700 files seen were stored)".
 * The deployer streams, so it never knows the total file count: the honest measure of how far it
 * got is how much of the archive it had read. Without the archive size, the percentage is of the
 * files seen: "Timed out after 58 s at 61% (12,034 of 19,700 files)". A deploy handed on to new
 * runs says how many it had: "Timed out after 2 min 4 s in 3 runs at 80% of the archive (…)".
 */
export function timeoutHeadline(deploy: Pick<DeployView, "progress" | "durationMs" | "continuations">): string {
  const p = deploy.progress;
  // A continued deploy's progress times its last run only; the deploy's duration spans all runs.
  const continued = continuationsOf(deploy) > 0;
  const elapsed = continued ? (deploy.durationMs ?? p?.elapsedMs) : (p?.elapsedMs ?? deploy.durationMs);
  const runs = continued ? ` in ${currentRun(deploy)} runs` : "";
  const after = `${elapsed === undefined ? "" : ` after ${formatDuration(elapsed)}`}${runs}`;
  if (!p) return `Timed out${after}`;
  if (p.archiveBytes !== undefined && p.archiveBytes > 0) {
    const pct = percentOf(p.archiveBytesRead, p.archiveBytes) ?? 0;
    return `Timed out${after} at ${pct}% of the archive (${formatCount(p.filesDone)} of ${formatCount(p.filesSeen)} files seen were stored)`;
  }
  const pct = percentOf(p.filesDone, p.filesSeen);
  const where = pct === undefined ? "" : ` at ${pct}%`;
  return `Timed out${after}${where} (${formatCount(p.filesDone)} of ${formatCount(p.filesSeen)} files)`;
}

/** The facts beneath the headline, one sentence each. */
export function progressFacts(p: DeployProgress): string[] {
  const facts = [`Processed ${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesSeen)} of site files seen so far.`];
  if (p.archiveBytes !== undefined && p.archiveBytes > 0) {
    const pct = percentOf(p.archiveBytesRead, p.archiveBytes);
    facts.push(`Read ${formatBytes(p.archiveBytesRead)} of the ${formatBytes(p.archiveBytes)} archive (${pct ?? 0}%).`);
  } else if (p.archiveBytesRead > 0) {
    facts.push(`Read ${formatBytes(p.archiveBytesRead)} of the archive.`);
  }
  return facts;
}

/** What a site owner can do about a timeout, most effective first. */
export const TIMEOUT_ADVICE: readonly { title: string; body: string; code?: string }[] = [
  {
    title: "Shrink the site",
    body: "Remove what visitors never load: source maps, raw images and videos, node_modules or build caches committed by accident.",
  },
  {
    title: "Deploy only the built folder",
    body: "Set the deploy directory in hoist.json at the repository root, so Hoist publishes just that folder:",
    code: '{ "directory": "dist" }',
  },
  {
    title: "Raise the function timeout",
    body: "If the site really is this big, give the deployer function more time (AWS Lambda allows up to 15 minutes).",
  },
];
