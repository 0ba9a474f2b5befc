import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, totalmem } from "node:os";

/** Formats bench results as markdown, on the console and in BENCHMARKS.md (between markers). */

export type DeployMeasure = {
  wallMs: number;
  handlerMs: number;
  /** From the call to the handler's claim: backend start, queued record, staging, worker start. */
  beforeHandlerMs: number;
  workerCpuMs: number;
  /** The bench process: s3rver, dynalite and the CLI's staging upload. */
  hostCpuMs: number;
  peakRssBytes: number;
  workers: number;
  files: number;
  originalBytes: number;
  storedBytes: number;
  uploadedBytes: number;
  uploadedBlobs: number;
};

export type CorpusResult = {
  corpus: { name: string; label: string; files: number; bytes: number; textBytes: number; archiveBytes: number };
  date: string;
  loadAtStart: string;
  concurrency: number;
  cpuFloorMs: number;
  cpuFloorCpuMs: number;
  compressibleBytes: number;
  uploadFloorMs: number;
  uploadFloorBytes: number;
  /** Uploading child + the bench process (s3rver) during the upload floor. */
  uploadFloorCpuMs: number;
  deploy: DeployMeasure;
  redeploy: DeployMeasure;
  naive: { ms: number; extractMs: number; cpuMs: number };
};

export type Machine = { cpus: number; cpuModel: string; ramGb: number; node: string; loadAverage: string };

const START = "<!-- bench:deployer:start -->";
const END = "<!-- bench:deployer:end -->";
const MB = 1024 * 1024;
const RATIO_TARGET = 1.2;
const RSS_TARGET = 256 * MB;

export function describeMachine(): Machine {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  return {
    cpus: availableParallelism(),
    cpuModel: /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? "unknown",
    ramGb: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    loadAverage: loadNow(),
  };
}

/** The 1/5/15-minute load averages, as the reports print them. */
export const loadNow = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mb = (bytes: number) => (bytes / MB).toFixed(bytes < 10 * MB ? 1 : 0);
const x = (n: number) => `${n.toFixed(2)}×`;
const pct = (n: number) => `${Math.round(n * 100)}%`;
const floorsOf = (r: CorpusResult) => r.cpuFloorMs + r.uploadFloorMs;

export function tables(results: CorpusResult[]): string {
  const base = results.find((r) => r.corpus.name === "25");
  const speed = [
    "| corpus | files | site MB (text) | archive MB | deploy wall | stage + start | handler | archive MB/s | site MB/s | CPU floor | upload floor | wall ÷ floors | handler ÷ floors |",
    "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ...results.map((r) => {
      const d = r.deploy;
      return `| ${r.corpus.label} | ${r.corpus.files} | ${mb(r.corpus.bytes)} (${mb(r.corpus.textBytes)}) | ${mb(r.corpus.archiveBytes)} | ${sec(d.wallMs)} | ${sec(d.beforeHandlerMs)} | ${sec(d.handlerMs)} | ${(r.corpus.archiveBytes / MB / (d.wallMs / 1000)).toFixed(1)} | ${(r.corpus.bytes / MB / (d.wallMs / 1000)).toFixed(1)} | ${sec(r.cpuFloorMs)} | ${sec(r.uploadFloorMs)} | ${x(d.wallMs / floorsOf(r))} | ${x(d.handlerMs / floorsOf(r))} |`;
    }),
  ];
  const rest = [
    "| corpus | deployer peak RSS | vs 25 MB | redeploy wall | of first (wall / handler) | redeploy blobs uploaded | redeploy MB sent | naive (of which extract) | naive ÷ deploy wall |",
    "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ...results.map((r) => {
      const d = r.deploy;
      const again = r.redeploy;
      const vsBase = base ? x(d.peakRssBytes / base.deploy.peakRssBytes) : "–";
      return `| ${r.corpus.label} | ${mb(d.peakRssBytes)} MB | ${vsBase} | ${sec(again.wallMs)} | ${pct(again.wallMs / d.wallMs)} / ${pct(again.handlerMs / d.handlerMs)} | ${again.uploadedBlobs} of ${again.files} | ${mb(again.uploadedBytes)} | ${sec(r.naive.ms)} (${sec(r.naive.extractMs)}) | ${x(r.naive.ms / d.wallMs)} |`;
    }),
  ];
  const cpu = [
    "| corpus | deploy CPU: worker + bench process | CPU floor CPU | upload floor CPU: client + bench process | deploy CPU ÷ floors CPU | naive CPU: child + bench process |",
    "|---|--:|--:|--:|--:|--:|",
    ...results.map((r) => {
      const d = r.deploy;
      const floors = r.cpuFloorCpuMs + r.uploadFloorCpuMs;
      return `| ${r.corpus.label} | ${sec(d.workerCpuMs + d.hostCpuMs)} = ${sec(d.workerCpuMs)} + ${sec(d.hostCpuMs)} | ${sec(r.cpuFloorCpuMs)} | ${sec(r.uploadFloorCpuMs)} | ${x((d.workerCpuMs + d.hostCpuMs) / floors)} | ${sec(r.naive.cpuMs)} |`;
    }),
  ];
  return `${speed.join("\n")}\n\n${rest.join("\n")}\n\nCPU seconds (user + system; less sensitive than wall time to other jobs on the machine):\n\n${cpu.join("\n")}\n`;
}

export function verdicts(results: CorpusResult[]): string[] {
  const lines: string[] = [];
  const metWord = (ok: boolean) => (ok ? "**met**" : "**not met**");
  for (const r of results) {
    const wall = r.deploy.wallMs / floorsOf(r);
    const handler = r.deploy.handlerMs / floorsOf(r);
    lines.push(`- ${r.corpus.label}: deploy ≤ ${RATIO_TARGET}× (CPU floor + upload floor) — ${metWord(wall <= RATIO_TARGET)} on wall time (${x(wall)}); handler alone ${x(handler)}.`);
    const again = r.redeploy;
    lines.push(`- ${r.corpus.label}: unchanged redeploy uploads 0 blobs — ${metWord(again.uploadedBlobs === 0)} (${again.uploadedBlobs}); takes ≤ 40% of the first — ${metWord(again.wallMs <= 0.4 * r.deploy.wallMs)} (${pct(again.wallMs / r.deploy.wallMs)} of wall, ${pct(again.handlerMs / r.deploy.handlerMs)} of handler).`);
  }
  const base = results.find((r) => r.corpus.name === "25");
  const big = results.find((r) => r.corpus.name === "1000");
  if (big) {
    lines.push(`- 1 GB: deployer peak RSS ≤ 256 MB — ${metWord(big.deploy.peakRssBytes <= RSS_TARGET)} (${mb(big.deploy.peakRssBytes)} MB).`);
    if (base) lines.push(`- 1 GB: peak RSS ≤ 1.3× its 25 MB value — ${metWord(big.deploy.peakRssBytes <= 1.3 * base.deploy.peakRssBytes)} (${x(big.deploy.peakRssBytes / base.deploy.peakRssBytes)}: ${mb(big.deploy.peakRssBytes)} vs ${mb(base.deploy.peakRssBytes)} MB).`);
  }
  return lines;
}

export function printTable(results: CorpusResult[]): void {
  process.stdout.write(`\n${tables(results)}\n${verdicts(results).join("\n")}\n\n`);
}

function section(results: CorpusResult[], machine: Machine): string {
  const dates = [...new Set(results.map((r) => r.date.slice(0, 10)))].join(", ");
  const loads = results.map((r) => `${r.corpus.label}: ${r.loadAtStart}`).join("; ");
  return [
    START,
    `_Generated by \`npm run bench\` on ${dates}. Do not edit between these markers; edit the notes below._`,
    "",
    `Machine: ${machine.cpus} vCPU ${machine.cpuModel}, ${machine.ramGb} GB RAM, Node ${machine.node}, Linux; backend = embedded s3rver + dynalite on loopback (s3rver hosted in the bench process, the deployer in its own LocalLambda worker process), upload concurrency ${results[0]?.concurrency ?? "?"}. Load average when each corpus started (1/5/15 min; the CPU is shared with other test runs): ${loads}.`,
    "",
    tables(results),
    "Targets:",
    "",
    ...verdicts(results),
    END,
  ].join("\n");
}

const TEMPLATE = (generated: string) => `# Benchmarks

Hoist's performance figures, with the machine each was measured on. The deployer section is
rewritten by \`npm run bench\` (see test/bench/); the add-on and panel sections are filled by
hand from their own measurements.

## Deployer

${generated}

### How it is measured

### Notes

## Add-on (server/)

| figure | value | target | how measured |
|---|--:|--:|---|
| webhook ack p95 | _pending_ | | |
| push-to-live p50 | _pending_ | | |
| panel API p95 | _pending_ | | |

## Panel (web/)

| figure | value | target | how measured |
|---|--:|--:|---|
| JS gzip size | _pending_ | | |
| first render | _pending_ | | |
`;

/** Replaces the generated section of BENCHMARKS.md, creating the file from a template if needed. */
export function writeBenchmarksMd(file: string, results: CorpusResult[], machine: Machine): void {
  const generated = section(results, machine);
  if (!existsSync(file)) {
    writeFileSync(file, TEMPLATE(generated));
    return;
  }
  const text = readFileSync(file, "utf8");
  const from = text.indexOf(START);
  const to = text.indexOf(END);
  if (from < 0 || to < from) throw new Error(`${file} has no ${START} … ${END} section: restore the markers or delete the file to regenerate it`);
  writeFileSync(file, text.slice(0, from) + generated + text.slice(to + END.length));
}

/**
 * Rewrites one generated section of BENCHMARKS.md: the text between its two markers. A file that
 * has neither marker gets the section where `place` puts it (by default at the end, under `heading`).
 */
export function writeMarkedSection(file: string, markers: readonly [string, string], generated: string, heading: string, place?: (text: string, section: string) => string): void {
  if (!existsSync(file)) throw new Error(`${file} is missing: run the deployer bench first, it creates it`);
  const text = readFileSync(file, "utf8");
  const from = text.indexOf(markers[0]);
  const to = text.indexOf(markers[1]);
  if (from < 0 && to < 0) {
    const section = `${heading}\n\n${generated}`;
    writeFileSync(file, place ? place(text, section) : `${text.trimEnd()}\n\n${section}\n`);
    return;
  }
  if (from < 0 || to < from) throw new Error(`${file} has no ${markers[0]} … ${markers[1]} section: restore the markers`);
  writeFileSync(file, text.slice(0, from) + generated + text.slice(to + markers[1].length));
}
