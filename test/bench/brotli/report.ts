import type { ManifestFile } from "../../../core/manifest.ts";
import { writeMarkedSection, type Machine } from "../report.ts";
import type { BrotliCorpusResult, BrotliDeploy, BrotliResult } from "./index.ts";

/** The "Brotli at deploy time" section of BENCHMARKS.md, rewritten between its own markers. */

const MARKERS = ["<!-- bench:brotli:start -->", "<!-- bench:brotli:end -->"] as const;
const HEADING = "## Brotli at deploy time";

const MB = 1024 * 1024;
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mb = (bytes: number) => `${(bytes / MB).toFixed(2)} MB`;
const x = (n: number) => `${n.toFixed(2)}×`;
const pct1 = (n: number) => `${(n * 100).toFixed(1)}%`;
const signed = (n: number, show: (n: number) => string) => `${n < 0 ? "−" : "+"}${show(Math.abs(n))}`;

/** What a visitor downloads fetching every file of a deploy once, from its manifest. */
export type DownloadBytes = {
  files: number;
  /** Files stored gzip'd: the ones a brotli copy may be made for. */
  compressibleFiles: number;
  brFiles: number;
  /** Sum of the original sizes: a client that accepts no encoding. */
  identity: number;
  /** Sum of the primary blobs' sizes: a client that accepts gzip only. */
  gzip: number;
  /** The brotli copy where there is one, else the primary blob: a client that accepts br. */
  br: number;
  /** The same three over the compressible files only. */
  compressible: { identity: number; gzip: number; br: number };
};

export function downloadBytes(files: Record<string, Pick<ManifestFile, "size" | "storedSize" | "contentEncoding" | "br">>): DownloadBytes {
  const out: DownloadBytes = { files: 0, compressibleFiles: 0, brFiles: 0, identity: 0, gzip: 0, br: 0, compressible: { identity: 0, gzip: 0, br: 0 } };
  for (const file of Object.values(files)) {
    const br = file.br?.storedSize ?? file.storedSize;
    out.files += 1;
    out.identity += file.size;
    out.gzip += file.storedSize;
    out.br += br;
    if (file.br) out.brFiles += 1;
    if (file.contentEncoding === "gzip") {
      out.compressibleFiles += 1;
      out.compressible.identity += file.size;
      out.compressible.gzip += file.storedSize;
      out.compressible.br += br;
    }
  }
  return out;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** One quality's deploys of one corpus, reduced to medians (the bytes are the same every round; `bytesVary` says when not). */
export type QualitySummary = {
  quality: number;
  deploys: number;
  wallMs: number;
  wallMinMs: number;
  wallMaxMs: number;
  handlerMs: number;
  handlerMinMs: number;
  handlerMaxMs: number;
  /** Range of the time before the handler's claim (backend start, staging, worker start): no brotli work happens there. */
  beforeMinMs: number;
  beforeMaxMs: number;
  workerCpuMs: number;
  hostCpuMs: number;
  peakRssBytes: number;
  uploadedBytes: number;
  bytes: BrotliDeploy["bytes"];
  bytesVary: boolean;
};

export function summarize(c: BrotliCorpusResult, qualities: number[]): QualitySummary[] {
  const out: QualitySummary[] = [];
  for (const quality of qualities) {
    const ds = c.deploys.filter((d) => d.quality === quality);
    if (ds.length === 0) continue;
    const walls = ds.map((d) => d.wallMs);
    const handlers = ds.map((d) => d.handlerMs);
    const befores = ds.map((d) => d.beforeHandlerMs).filter((ms) => Number.isFinite(ms));
    const first = ds[0]!.bytes;
    out.push({
      quality,
      deploys: ds.length,
      wallMs: median(walls),
      wallMinMs: Math.min(...walls),
      wallMaxMs: Math.max(...walls),
      handlerMs: median(handlers),
      handlerMinMs: Math.min(...handlers),
      handlerMaxMs: Math.max(...handlers),
      beforeMinMs: befores.length > 0 ? Math.min(...befores) : Number.NaN,
      beforeMaxMs: befores.length > 0 ? Math.max(...befores) : Number.NaN,
      workerCpuMs: median(ds.map((d) => d.workerCpuMs)),
      hostCpuMs: median(ds.map((d) => d.hostCpuMs)),
      peakRssBytes: Math.max(...ds.map((d) => d.peakRssBytes)),
      uploadedBytes: median(ds.map((d) => d.uploadedBytes)),
      bytes: first,
      bytesVary: ds.some((d) => JSON.stringify(d.bytes) !== JSON.stringify(first)),
    });
  }
  return out;
}

const saving = (b: { gzip: number; br: number }) => (b.gzip > 0 ? 1 - b.br / b.gzip : 0);

export function brotliTable(c: BrotliCorpusResult, qualities: number[]): string {
  const rows = summarize(c, qualities);
  const base = rows.find((s) => s.quality === 0);
  const ratio = (value: number, of: number | undefined) => (of && of > 0 ? x(value / of) : "–");
  return [
    "| brotli quality | deploys | deploy wall, median (range) | ÷ quality 0 | handler | ÷ quality 0 | worker CPU | ÷ quality 0 | peak worker RSS | uploaded | files with a br copy (of compressible) | gzip client downloads | br client downloads | br saving vs gzip: all files / compressible files |",
    "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ...rows.map((s) => {
      const b = s.bytes;
      return `| ${s.quality === 0 ? "0 (none)" : s.quality} | ${s.deploys} | ${sec(s.wallMs)} (${sec(s.wallMinMs)}–${sec(s.wallMaxMs)}) | ${ratio(s.wallMs, base?.wallMs)} | ${sec(s.handlerMs)} | ${ratio(s.handlerMs, base?.handlerMs)} | ${sec(s.workerCpuMs)} | ${ratio(s.workerCpuMs, base?.workerCpuMs)} | ${(s.peakRssBytes / MB).toFixed(0)} MB | ${mb(s.uploadedBytes)} | ${b.brFiles} (of ${b.compressibleFiles}) | ${mb(b.gzip)} | ${mb(b.br)} | ${pct1(saving(b))} / ${pct1(saving(b.compressible))}${s.bytesVary ? " (bytes varied between rounds)" : ""} |`;
    }),
  ].join("\n");
}

/** One line per corpus and quality above 0: what the brotli copy cost the deploy and what it saves, against quality 0, and the baseline's own spread. */
export function brotliFindings(r: BrotliResult): string[] {
  const lines: string[] = [];
  for (const c of r.corpora) {
    const rows = summarize(c, r.qualities);
    const base = rows.find((s) => s.quality === 0);
    if (!base) {
      lines.push(`- ${c.corpus.label}: no quality 0 deploy, nothing to compare with.`);
      continue;
    }
    const spread = (min: number, max: number, mid: number) => pct1(mid > 0 ? (max - min) / mid : 0);
    const within = (diff: number, min: number, max: number) => (Math.abs(diff) <= max - min ? ", within quality 0's own spread" : "");
    for (const s of rows.filter((q) => q.quality !== 0)) {
      const upload = s.uploadedBytes - base.uploadedBytes;
      const wall = s.wallMs - base.wallMs;
      const handler = s.handlerMs - base.handlerMs;
      lines.push(
        `- ${c.corpus.label}, quality ${s.quality}: deploy wall ${x(s.wallMs / base.wallMs)} quality 0's (${signed(wall, sec)}${within(wall, base.wallMinMs, base.wallMaxMs)}), handler ${x(s.handlerMs / base.handlerMs)} (${signed(handler, sec)}${within(handler, base.handlerMinMs, base.handlerMaxMs)}), worker CPU ${x(s.workerCpuMs / base.workerCpuMs)} (${signed(s.workerCpuMs - base.workerCpuMs, sec)}); uploads ${signed(upload, mb)} (${pct1(base.uploadedBytes > 0 ? upload / base.uploadedBytes : 0)}) for ${s.bytes.brFiles} brotli copies; a br client downloads ${pct1(saving(s.bytes.compressible))} less than a gzip client over the compressible files (${mb(s.bytes.compressible.gzip)} → ${mb(s.bytes.compressible.br)}), ${pct1(saving(s.bytes))} less over the whole site.`,
      );
    }
    lines.push(
      `- ${c.corpus.label}, quality 0 (the baseline): ${base.deploys} deploys, wall ${sec(base.wallMinMs)}–${sec(base.wallMaxMs)} (a spread of ${spread(base.wallMinMs, base.wallMaxMs, base.wallMs)} of the median), handler ${sec(base.handlerMinMs)}–${sec(base.handlerMaxMs)} (${spread(base.handlerMinMs, base.handlerMaxMs, base.handlerMs)}): the noise any difference above has to stand out from. The time before the handler's claim (backend start, staging, worker start; no brotli work) ranged ${rows.map((q) => `${sec(q.beforeMinMs)}–${sec(q.beforeMaxMs)} at quality ${q.quality}`).join(", ")}.`,
    );
  }
  return lines;
}

function corpusLine(c: BrotliCorpusResult, qualities: number[]): string {
  const first = summarize(c, qualities)[0];
  const b = first?.bytes;
  const site = b
    ? ` Without compression a visitor downloads ${mb(b.identity)}; ${b.compressibleFiles} files (${mb(b.compressible.identity)}) are stored gzip'd (${mb(b.compressible.gzip)}).`
    : "";
  return `**${c.corpus.label}** (${c.corpus.files} files, ${mb(c.corpus.bytes)} of which ${mb(c.corpus.textBytes)} text, archive ${mb(c.corpus.archiveBytes)}).${site}`;
}

export function brotliSection(r: BrotliResult, machine: Machine): string {
  const order = [0, 1].map((i) => (i % 2 === 0 ? r.qualities : [...r.qualities].reverse()).join(", ")).join(" | ");
  return [
    MARKERS[0],
    `_Generated by \`npm run bench -- --only brotli\` on ${r.date.slice(0, 10)}. Do not edit between these markers; edit the notes below._`,
    "",
    `Machine: ${machine.cpus} vCPU ${machine.cpuModel}, ${machine.ramGb} GB RAM, Node ${machine.node}, Linux; backend = embedded s3rver + dynalite on loopback in the bench process, the deployer in a LocalLambda worker process, upload concurrency ${r.concurrency}. Load average (1/5/15 min; the CPU is shared with other engineers' test runs) at start ${r.loadAtStart}, at end ${r.loadAtEnd}; per deploy in .bench/results/brotli.json.`,
    "",
    `Each corpus deployed by \`hoist deploy\`'s path (deployArchive) at every brotli quality (HOIST_BROTLI_QUALITY; 0 = no brotli copy, the baseline), ${r.repeats} round${r.repeats === 1 ? "" : "s"}, the qualities taking turns in an order reversed every other round (${order} | …), each deploy on a fresh backend so none reuses another's blobs; times are each quality's median. *Wall*: the whole call (backend start, staging, the run). *Handler*: the record's claim → outcome. *Worker CPU*: user + system of the deployer worker process. *Uploaded*: the record's \`uploadedBytes\` (every blob put, brotli copies included). *Downloads*: what a visitor fetching every file once receives, from the deploy's manifest: a gzip client gets each entry's \`storedSize\`, a br client \`br.storedSize\` where there is a brotli copy, else \`storedSize\`. *Compressible files*: those stored gzip'd.`,
    "",
    ...r.corpora.flatMap((c) => [corpusLine(c, r.qualities), "", brotliTable(c, r.qualities), ""]),
    "Findings:",
    "",
    ...brotliFindings(r),
    MARKERS[1],
  ].join("\n");
}

export function printBrotli(r: BrotliResult, machine: Machine): void {
  process.stdout.write(`\n${brotliSection(r, machine)}\n\n`);
}

/** Rewrites the brotli section between its markers; a file without them gets a "## Brotli at deploy time" section at its end. */
export function writeBrotliSection(file: string, r: BrotliResult, machine: Machine): void {
  writeMarkedSection(file, MARKERS, brotliSection(r, machine), HEADING);
}
