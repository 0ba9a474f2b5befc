import { writeMarkedSection, type Machine } from "../report.ts";
import type { ResumeDeploy, ResumeResult } from "./index.ts";

/** The "Resumable deploys" section of BENCHMARKS.md, rewritten between its own markers. */

const MARKERS = ["<!-- bench:resume:start -->", "<!-- bench:resume:end -->"] as const;
/** The deployer section ends here; a new resume section goes after its notes (before the next `## `). */
const DEPLOYER_END = "<!-- bench:deployer:end -->";

export const RESUME_TARGETS = { succeedsAtSeconds: 60, overheadRatio: 1.3 };
/** The deployer section's own memory target, shown beside today's bound. */
const RSS_TARGET = 256 * 1024 * 1024;

const MB = 1024 * 1024;
const met = (ok: boolean) => (ok ? "**met**" : "**not met**");
const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mb = (bytes: number) => `${(bytes / MB).toFixed(0)} MB`;
const x = (n: number) => `${n.toFixed(2)}×`;
const pct = (n: number) => `${Math.round(n * 100)}%`;

const baselineOf = (r: ResumeResult) => r.deploys.find((d) => d.unlimited);
const timeoutLabel = (d: ResumeDeploy) => (d.unlimited ? `unlimited (${d.timeoutSeconds} s)` : `${d.timeoutSeconds} s`);
/** Time spent re-reading the archive up to the checkpoint, summed over the deploy's runs. */
export const rereadMs = (d: ResumeDeploy) => d.runs.reduce((sum, run) => sum + run.skipMs, 0);
const succeeded = (r: ResumeResult, d: ResumeDeploy) => d.status === "succeeded" && d.files === r.corpus.files;

/** Time between one run's end and the next run's start: the hand-off, invoking the continuation, its worker starting, its claim. */
export function gapsMs(d: ResumeDeploy): number {
  let total = 0;
  for (let i = 1; i < d.runs.length; i++) {
    const prev = d.runs[i - 1]!;
    total += Math.max(0, Date.parse(d.runs[i]!.startedAt) - (Date.parse(prev.startedAt) + prev.elapsedMs));
  }
  return total;
}

export function resumeTable(r: ResumeResult): string {
  const base = baselineOf(r);
  const rows = r.deploys.map((d) => {
    const reread = rereadMs(d);
    const status =
      d.status === "succeeded" && d.files !== r.corpus.files
        ? `succeeded, but ${d.files} of ${r.corpus.files} files`
        : d.status === "succeeded"
          ? "succeeded"
          : `**${d.status}** (${d.reason ?? "?"})`;
    const ratio = base && !d.unlimited ? x(d.wallMs / base.wallMs) : d.unlimited ? "1.00×" : "–";
    const cpuRatio = base && base.workerCpuMs > 0 ? ` (${x(d.workerCpuMs / base.workerCpuMs)})` : "";
    return `| ${timeoutLabel(d)} | ${status} | ${d.continuations} | ${sec(d.wallMs)} | ${ratio} | ${sec(reread)} (${pct(reread / d.wallMs)}) | ${sec(d.handlerMs)} | ${sec(d.workerCpuMs)}${cpuRatio} | ${mb(d.peakRssBytes)} (${d.workers}) |`;
  });
  return [
    "| function timeout | status | continuations | wall | ÷ unlimited | re-read time (share of wall) | handler (first claim → outcome) | worker CPU (÷ unlimited) | peak worker RSS (workers) |",
    "|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ...rows,
  ].join("\n");
}

/** The deploy whose runs get their own table: the 10 s one, else the shortest timeout measured. */
export function perRunDeploy(r: ResumeResult): ResumeDeploy | undefined {
  const limited = r.deploys.filter((d) => !d.unlimited);
  return (
    limited.find((d) => d.timeoutSeconds === 10) ??
    limited.reduce<ResumeDeploy | undefined>((a, b) => (!a || b.timeoutSeconds < a.timeoutSeconds ? b : a), undefined)
  );
}

export function runsTable(d: ResumeDeploy, archiveBytes: number): string {
  if (d.runs.length === 0) return `(one run: the deploy finished within its first ${d.timeoutSeconds} s function, so the record keeps no per-run figures.)`;
  const rows = d.runs.map((run, i) => {
    const prev = d.runs[i - 1];
    const gap = prev ? sec(Math.max(0, Date.parse(run.startedAt) - (Date.parse(prev.startedAt) + prev.elapsedMs))) : "–";
    return `| ${run.run} | ${run.ended} | ${gap} | ${sec(run.elapsedMs)} | ${sec(run.skipMs)} (${pct(run.skipMs / run.elapsedMs)}) | ${run.filesResumed} | ${run.filesStored} | ${mb(run.bytesStored)} | ${mb(run.archiveBytesRead)} (${pct(run.archiveBytesRead / archiveBytes)}) |`;
  });
  return [
    "| run | ended | gap before it | run time | re-read time (share of run) | files resumed | files stored | site MB stored | archive MB read (of archive) |",
    "|--:|---|--:|--:|--:|--:|--:|--:|--:|",
    ...rows,
  ].join("\n");
}

/** Why a deploy's wall time exceeds the baseline's: its extra time split into re-reading, gaps between runs, and the rest. */
function overheadReason(d: ResumeDeploy, base: ResumeDeploy): string {
  const extra = d.wallMs - base.wallMs;
  const reread = rereadMs(d);
  const gaps = gapsMs(d);
  return `+${sec(extra)} over the unlimited deploy: re-reading the archive up to the checkpoint ${sec(reread)}, between runs (hand-off, invoking the continuation, its worker's start and claim) ${sec(gaps)}, the rest ${sec(extra - reread - gaps)} (each run's own start and checkpoint writes, and the machine's load)`;
}

export function resumeVerdicts(r: ResumeResult): string[] {
  const base = baselineOf(r);
  const lines: string[] = [];
  const goal = r.deploys.find((d) => !d.unlimited && d.timeoutSeconds === RESUME_TARGETS.succeedsAtSeconds);
  if (goal) {
    const ok = succeeded(r, goal);
    lines.push(
      `- ${r.corpus.label} with a ${RESUME_TARGETS.succeedsAtSeconds} s function timeout succeeds end to end — ${met(ok)} (${goal.status}, ${goal.files} of ${r.corpus.files} files, ${goal.continuations} continuations${ok ? "" : `: ${goal.reason ?? ""} ${goal.message ?? ""}`.trimEnd()}).`,
    );
  } else {
    lines.push(`- ${r.corpus.label} with a ${RESUME_TARGETS.succeedsAtSeconds} s function timeout succeeds end to end — not measured in this run.`);
  }
  const limited = r.deploys.filter((d) => !d.unlimited);
  if (base) {
    const rows = limited.map((d) => {
      const ratio = d.wallMs / base.wallMs;
      const cpu = base.workerCpuMs > 0 ? `worker CPU ${x(d.workerCpuMs / base.workerCpuMs)}` : "";
      if (!succeeded(r, d))
        return `${d.timeoutSeconds} s ${met(false)} (the deploy ended ${d.status}${d.reason ? `, ${d.reason}` : ""}: ${d.message ?? "no message"})`;
      if (ratio <= RESUME_TARGETS.overheadRatio) return `${d.timeoutSeconds} s ${met(true)} (${x(ratio)}${cpu ? `; ${cpu}` : ""})`;
      return `${d.timeoutSeconds} s ${met(false)} (${x(ratio)}${cpu ? `, ${cpu}` : ""}; ${overheadReason(d, base)})`;
    });
    // Deploys that needed one run did the same work as the baseline: how far apart they landed is this run's noise.
    const same = limited.filter((d) => d.continuations === 0 && d.runs.length === 0 && succeeded(r, d));
    const noise =
      same.length > 0
        ? ` The ${same.map((d) => `${d.timeoutSeconds} s`).join(" and ")} deploy${same.length > 1 ? "s" : ""} needed no continuation, so did the same work as the unlimited one, and took ${same.map((d) => x(d.wallMs / base.wallMs)).join(", ")} its wall time (worker CPU ${same.map((d) => x(d.workerCpuMs / base.workerCpuMs)).join(", ")}): the spread this run's machine load gives two identical deploys.`
        : "";
    const quickest = [base, ...same].reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
    const continued = limited.filter((d) => d.runs.length > 0 && succeeded(r, d));
    const against =
      quickest !== base && continued.length > 0
        ? ` Against the quickest of them (${quickest.timeoutSeconds} s, ${sec(quickest.wallMs)}) the deploys that were continued took ${continued.map((d) => `${d.timeoutSeconds} s ${x(d.wallMs / quickest.wallMs)}`).join(", ")}${continued.some((d) => d.wallMs / quickest.wallMs > RESUME_TARGETS.overheadRatio) ? ` — over ${x(RESUME_TARGETS.overheadRatio)}` : ""}.`
        : "";
    lines.push(`- Wall time ≤ ${x(RESUME_TARGETS.overheadRatio)} the unlimited deploy's (${sec(base.wallMs)}): ${rows.join("; ")}.${noise}${against}`);
  } else {
    lines.push(`- Wall time ≤ ${x(RESUME_TARGETS.overheadRatio)} the unlimited deploy's — not measured (no unlimited deploy in this run).`);
  }
  const worst = r.deploys.reduce<ResumeDeploy | undefined>((a, b) => (!a || b.peakRssBytes > a.peakRssBytes ? b : a), undefined);
  const all = r.deploys.map((d) => `${d.unlimited ? "unlimited" : `${d.timeoutSeconds} s`} ${mb(d.peakRssBytes)}`).join(", ");
  if (r.bound && worst) {
    const over = r.deploys.filter((d) => d.peakRssBytes > r.bound!.peakRssBytes);
    const limitedOver = over.filter((d) => !d.unlimited);
    const note =
      over.length === 0
        ? ""
        : `; over it: ${over.map((d) => (d.unlimited ? "unlimited" : `${d.timeoutSeconds} s`)).join(", ")}${base && limitedOver.length > 0 && limitedOver.every((d) => d.peakRssBytes <= base.peakRssBytes) ? ", none above this run's own unlimited deploy" : ""}`;
    lines.push(
      `- Peak RSS of every deployer worker, every run, within today's bound (the ${r.corpus.label} deployer peak in the Deployer table, ${mb(r.bound.peakRssBytes)}, measured ${r.bound.date.slice(0, 10)}) — ${met(over.length === 0)} (highest ${mb(worst.peakRssBytes)}, ${worst.unlimited ? "unlimited" : `${worst.timeoutSeconds} s`}; by deploy: ${all}${note}; ${worst.peakRssBytes <= RSS_TARGET ? "all" : "not all"} within the deployer's ${mb(RSS_TARGET)} target).`,
    );
  } else {
    lines.push(
      `- Peak RSS of every deployer worker within today's bound — no bound: the deployer part has not measured the ${r.corpus.label} corpus (.bench/results/${r.corpus.name}.json); by deploy: ${all}.`,
    );
  }
  return lines;
}

export function resumeSection(r: ResumeResult, machine: Machine): string {
  const detail = perRunDeploy(r);
  const loads = r.deploys.map((d) => `${d.unlimited ? "unlimited" : `${d.timeoutSeconds} s`}: ${d.loadAtStart}`).join("; ");
  return [
    MARKERS[0],
    `_Generated by \`npm run bench -- --only resume\` on ${r.date.slice(0, 10)}. Do not edit between these markers; edit the notes below._`,
    "",
    `Machine: ${machine.cpus} vCPU ${machine.cpuModel}, ${machine.ramGb} GB RAM, Node ${machine.node}, Linux; backend = embedded s3rver + dynalite on loopback in the bench process, the deployer in LocalLambda worker processes, upload concurrency ${r.concurrency}. Load average when each deploy started (1/5/15 min; the CPU is shared with other engineers' test runs): ${loads}; at the end ${r.loadAtEnd}.`,
    "",
    `Corpus: ${r.corpus.label} (${r.corpus.files} files, ${mb(r.corpus.bytes)}, archive ${mb(r.corpus.archiveBytes)}), deployed by \`hoist deploy\`'s path (deployArchive) to a fresh site on a fresh backend each time, so no deploy reuses another's blobs. HOIST_TIMEOUT_MARGIN_MS ${r.timeoutMarginMs}, HOIST_MAX_CONTINUATIONS ${r.maxContinuations}. *Wall*: the whole call (backend start, staging, every run, the gaps between runs). *Re-read time*: the sum of each run's \`skipMs\` (from the run's start to the archive read up to the last checkpointed entry). *Peak worker RSS*: the highest VmHWM of any deployer worker process of the deploy (a continuation may start another worker while the run handing off finishes; warm workers are reused).`,
    "",
    resumeTable(r),
    "",
    ...(detail ? [`Runs of the ${detail.timeoutSeconds} s deploy (from the deploy record's \`runs\`):`, "", runsTable(detail, r.corpus.archiveBytes), ""] : []),
    "Targets:",
    "",
    ...resumeVerdicts(r),
    MARKERS[1],
  ].join("\n");
}

export function printResume(r: ResumeResult, machine: Machine): void {
  process.stdout.write(`\n${resumeSection(r, machine)}\n\n`);
}

/**
 * Rewrites the resume section between its markers. A file without them gets a "## Resumable
 * deploys" section after the deployer's (before the next `## ` heading that follows its end
 * marker), or at the end when it has no deployer section.
 */
export function writeResumeSection(file: string, r: ResumeResult, machine: Machine): void {
  writeMarkedSection(file, MARKERS, resumeSection(r, machine), "## Resumable deploys", (text, section) => {
    const deployerEnd = text.indexOf(DEPLOYER_END);
    const next = deployerEnd < 0 ? -1 : text.indexOf("\n## ", deployerEnd);
    if (next < 0) return `${text.trimEnd()}\n\n${section}\n`;
    return `${text.slice(0, next + 1)}${section}\n\n${text.slice(next + 1)}`;
  });
}
