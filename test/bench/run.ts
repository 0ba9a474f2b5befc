import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadConfig, type Config } from "../../core/config.ts";
import { DeployRecords } from "../../core/deploy-records.ts";
import { createLogger } from "../../core/log.ts";
import { openBackend, type Backend } from "../../server/backend.ts";
import { cpuMsSince, runChild } from "./child.ts";
import { CORPUS_NAMES, ensureCorpus, type CorpusInfo, type CorpusName } from "./corpus.ts";
import type { CpuFloorJob, CpuFloorResult, UploadFloorJob, UploadFloorResult } from "./floors.ts";
import { timedDeploy } from "./timed-deploy.ts";
import type { NaiveJob, NaiveResult } from "./naive.ts";
import { describeMachine, printTable, writeBenchmarksMd, type CorpusResult } from "./report.ts";
import { ADDON_PARTS, runAddonBench, type AddonPart } from "./addon/index.ts";
import { benchGateway, type GatewayResult } from "./gateway/index.ts";
import { printGateway, writeGatewaySection } from "./gateway/report.ts";
import { benchResume, DEFAULT_TIMEOUTS_S, type ResumeResult } from "./resume/index.ts";
import { printResume, writeResumeSection } from "./resume/report.ts";
import { benchBrotli, DEFAULT_QUALITIES, DEFAULT_REPEATS, type BrotliResult } from "./brotli/index.ts";
import { printBrotli, writeBrotliSection } from "./brotli/report.ts";

/**
 * `npm run bench [-- --sizes 25,250,small,1000] [--no-write]`: for each corpus, in one run and
 * on one embedded backend: the CPU floor, the upload floor, a first deploy through the real path
 * (stage + handler in a Lambda-like worker process), an unchanged redeploy, and the naive
 * extract-to-disk approach. Results are cached per corpus in .bench/results/, and the table in
 * BENCHMARKS.md is rebuilt from the latest result of every corpus.
 *
 * Then resumable deploys (test/bench/resume/): the 1 GB corpus with an unlimited function timeout,
 * then 60, 20 and 10 s ones that hand the deploy on to continuations (`--resume-corpus NAME` and
 * `--resume-timeouts 60,20,10` change that). Then the add-on and panel figures (test/bench/addon/):
 * webhook acknowledgement, push-to-live, panel history API, panel JS size. Then the hosting gateway against a plain Node static server
 * and nginx (test/bench/gateway/; `--gateway-seconds N` per cell, default 10). Then brotli at deploy
 * time (test/bench/brotli/): real JS/CSS from node_modules ("packages") and the small-files corpus
 * deployed at brotli quality 0 (none) and 5, taking turns (`--brotli-corpora 25,small,packages`, `--brotli-qualities 0,4,5`, `--brotli-repeats 3`).
 * `--only deployer|resume|addon|panel|webhook|push|api|gateway|brotli` (comma-separated) runs a
 * selection; by default everything runs, the deployer corpora first. `--no-write` leaves
 * BENCHMARKS.md alone (results are still cached in .bench/results/).
 */

const ROOT = resolve(".bench");
const HERE = fileURLToPath(new URL(".", import.meta.url));
const FLOORS = join(HERE, "floors.ts");
const NAIVE = join(HERE, "naive.ts");
const FUNCTION_TIMEOUT_S = 1800;

const log = (line: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: "string" },
      only: { type: "string" },
      "no-write": { type: "boolean", default: false },
      "gateway-seconds": { type: "string" },
      "resume-corpus": { type: "string" },
      "resume-timeouts": { type: "string" },
      "brotli-corpora": { type: "string" },
      "brotli-qualities": { type: "string" },
      "brotli-repeats": { type: "string" },
    },
  });
  const only = parseOnly(values.only);
  const selected = parseSizes(values.sizes);
  const machine = describeMachine();
  log(`machine: ${machine.cpus}× ${machine.cpuModel}, ${machine.ramGb} GB RAM, Node ${machine.node}, load ${machine.loadAverage}`);
  const started = Date.now();
  if (only.deployer) await benchDeployer(selected, machine, !values["no-write"]);
  if (only.resume) await benchResumePart(parseResumeCorpus(values["resume-corpus"]), parseTimeouts(values["resume-timeouts"]), machine, !values["no-write"]);
  if (only.addon.length > 0) await runAddonBench(ROOT, only.addon, { write: !values["no-write"], file: resolve("BENCHMARKS.md"), machine, log });
  if (only.gateway) await benchGatewayPart(machine, !values["no-write"], parseSeconds(values["gateway-seconds"]));
  if (only.brotli)
    await benchBrotliPart(
      parseBrotliCorpora(values["brotli-corpora"]),
      parseQualities(values["brotli-qualities"]),
      parseRepeats(values["brotli-repeats"]),
      machine,
      !values["no-write"],
    );
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

function parseOnly(raw: string | undefined): { deployer: boolean; resume: boolean; addon: AddonPart[]; gateway: boolean; brotli: boolean } {
  if (!raw) return { deployer: true, resume: true, addon: [...ADDON_PARTS], gateway: true, brotli: true };
  const parts = new Set<AddonPart>();
  let deployer = false;
  let resume = false;
  let gateway = false;
  let brotli = false;
  for (const name of raw.split(",").map((s) => s.trim().toLowerCase())) {
    if (name === "deployer") deployer = true;
    else if (name === "resume") resume = true;
    else if (name === "gateway") gateway = true;
    else if (name === "brotli") brotli = true;
    else if (name === "addon") for (const p of ["webhook", "push", "api"] as const) parts.add(p);
    else if ((ADDON_PARTS as readonly string[]).includes(name)) parts.add(name as AddonPart);
    else throw new Error(`unknown --only "${name}": use deployer, resume, addon, panel, webhook, push, api, gateway or brotli, comma-separated`);
  }
  return { deployer, resume, addon: ADDON_PARTS.filter((p) => parts.has(p)), gateway, brotli };
}

function parseTimeouts(raw: string | undefined): number[] {
  if (raw === undefined) return DEFAULT_TIMEOUTS_S;
  return raw.split(",").map((s) => {
    const seconds = Number(s.trim());
    const ok = Number.isInteger(seconds) && seconds >= 1 && seconds < FUNCTION_TIMEOUT_S;
    if (!ok) throw new Error(`--resume-timeouts "${s}": whole seconds from 1 to ${FUNCTION_TIMEOUT_S - 1}`);
    return seconds;
  });
}

/** The resume part's corpus: the 1 GB one unless `--resume-corpus` names another (one of --sizes' names). */
function parseResumeCorpus(raw: string | undefined): CorpusName {
  const names = parseSizes(raw ?? "1000");
  if (names.length !== 1) throw new Error(`--resume-corpus "${raw}": name one corpus`);
  return names[0]!;
}

/**
 * The brotli part's corpora: real JS/CSS (what brotli saves; generated text says little about
 * that) and the 20k small files (what trying costs a many-pages site), unless `--brotli-corpora`
 * names others: --sizes' names, or "packages".
 */
function parseBrotliCorpora(raw: string | undefined): CorpusName[] {
  const names = (raw ?? "packages,small").split(",").map((s) => s.trim().toLowerCase());
  return [...new Set(names.map((s): CorpusName => (s === "packages" ? "packages" : parseSizes(s)[0]!)))];
}

/** Brotli qualities to compare, 0 (no brotli copy, the baseline) always first. */
function parseQualities(raw: string | undefined): number[] {
  if (raw === undefined) return DEFAULT_QUALITIES;
  const qualities = raw.split(",").map((s) => {
    const q = Number(s.trim());
    if (s.trim() === "" || !Number.isInteger(q) || q < 0 || q > 11) throw new Error(`--brotli-qualities "${s}": whole numbers from 0 to 11, comma-separated`);
    return q;
  });
  return [0, ...[...new Set(qualities)].filter((q) => q !== 0)];
}

function parseRepeats(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_REPEATS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--brotli-repeats "${raw}": a whole number ≥ 1`);
  return n;
}

function parseSeconds(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 1) throw new Error(`--gateway-seconds "${raw}": use a whole number of seconds ≥ 1`);
  return seconds;
}

/** The gateway part: its result cached in .bench/results/gateway.json, its section of BENCHMARKS.md rebuilt from it. */
async function benchGatewayPart(machine: ReturnType<typeof describeMachine>, write: boolean, seconds: number | undefined): Promise<void> {
  const result: GatewayResult = await benchGateway(ROOT, { seconds, log });
  mkdirSync(join(ROOT, "results"), { recursive: true });
  writeFileSync(join(ROOT, "results", "gateway.json"), JSON.stringify(result, null, 2));
  printGateway(result, machine);
  if (write) writeGatewaySection(resolve("BENCHMARKS.md"), result, machine);
}

/** The resume part: its result cached in .bench/results/resume.json, its section of BENCHMARKS.md rebuilt from it. */
async function benchResumePart(name: CorpusName, timeouts: number[], machine: ReturnType<typeof describeMachine>, write: boolean): Promise<void> {
  const corpus = await ensureCorpus(ROOT, name, log);
  const result: ResumeResult = await benchResume(ROOT, { corpus, configFor: benchConfig, unlimitedSeconds: FUNCTION_TIMEOUT_S, timeouts, log });
  mkdirSync(join(ROOT, "results"), { recursive: true });
  writeFileSync(join(ROOT, "results", "resume.json"), JSON.stringify(result, null, 2));
  printResume(result, machine);
  if (write) writeResumeSection(resolve("BENCHMARKS.md"), result, machine);
}

/** The brotli part: its result cached in .bench/results/brotli.json, its section of BENCHMARKS.md rebuilt from it. */
async function benchBrotliPart(
  names: CorpusName[],
  qualities: number[],
  repeats: number,
  machine: ReturnType<typeof describeMachine>,
  write: boolean,
): Promise<void> {
  const corpora: CorpusInfo[] = [];
  for (const name of names) corpora.push(await ensureCorpus(ROOT, name, log));
  const result: BrotliResult = await benchBrotli(ROOT, { corpora, configFor: benchConfig, qualities, repeats, timeoutSeconds: FUNCTION_TIMEOUT_S, log });
  mkdirSync(join(ROOT, "results"), { recursive: true });
  writeFileSync(join(ROOT, "results", "brotli.json"), JSON.stringify(result, null, 2));
  printBrotli(result, machine);
  if (write) writeBrotliSection(resolve("BENCHMARKS.md"), result, machine);
}

async function benchDeployer(selected: CorpusName[], machine: ReturnType<typeof describeMachine>, write: boolean): Promise<void> {
  for (const name of selected) {
    const corpus = await ensureCorpus(ROOT, name, log);
    const result = await benchCorpus(corpus);
    mkdirSync(join(ROOT, "results"), { recursive: true });
    writeFileSync(join(ROOT, "results", `${name}.json`), JSON.stringify(result, null, 2));
  }
  const results = CORPUS_NAMES.map((n) => join(ROOT, "results", `${n}.json`))
    .filter((f) => existsSync(f))
    .map((f) => JSON.parse(readFileSync(f, "utf8")) as CorpusResult);
  printTable(results);
  if (write) writeBenchmarksMd(resolve("BENCHMARKS.md"), results, machine);
}

function parseSizes(raw: string | undefined): CorpusName[] {
  if (!raw) return CORPUS_NAMES;
  const alias: Record<string, CorpusName> = { "25": "25", "250": "250", "1000": "1000", "1g": "1000", "1024": "1000", small: "small" };
  return raw.split(",").map((s) => {
    const name = alias[s.trim().toLowerCase()];
    if (!name) throw new Error(`unknown corpus "${s}": use 25, 250, 1000 (or 1g) and small, comma-separated`);
    return name;
  });
}

function benchConfig(dataDir: string): Config {
  return loadConfig({
    HOIST_BACKEND: "embedded",
    HOIST_DATA_DIR: dataDir,
    HOIST_LOG_LEVEL: "warn",
    // The 1 GB corpus compresses to ~0.7 GB: above the default 512 MiB archive limit.
    HOIST_MAX_ARCHIVE_BYTES: String(2 * 1024 ** 3),
    HOIST_MAX_TOTAL_BYTES: String(4 * 1024 ** 3),
  });
}

async function benchCorpus(corpus: CorpusInfo): Promise<CorpusResult> {
  const dataDir = join(ROOT, "data", corpus.name);
  rmSync(dataDir, { recursive: true, force: true });
  const config = benchConfig(dataDir);
  const logger = createLogger({ level: "warn", name: "bench", stderr: true });
  const loadAtStart = describeMachine().loadAverage;
  try {
    log(`${corpus.label}: CPU floor`);
    const cpu = await runChild<CpuFloorJob, CpuFloorResult>(FLOORS, { mode: "cpu", archive: corpus.archive });

    log(`${corpus.label}: upload floor (${cpu.storedSizes.length} objects)`);
    const upload = await withBackend(config, logger, async (endpoints, bucket) => {
      const host = process.cpuUsage();
      const result = await runChild<UploadFloorJob, UploadFloorResult>(FLOORS, { mode: "upload", endpoints, bucket, prefix: "bench-floor/", sizes: cpu.storedSizes, concurrency: config.uploadConcurrency });
      return { ...result, cpuMs: result.cpuMs + cpuMsSince(host) };
    });

    log(`${corpus.label}: deploy`);
    const first = await measuredDeploy(config, logger, corpus);
    log(`${corpus.label}: unchanged redeploy`);
    const again = await measuredDeploy(config, logger, corpus);

    log(`${corpus.label}: naive extract-then-upload`);
    const naive = await withBackend(config, logger, async (endpoints, bucket) => {
      const host = process.cpuUsage();
      const result = await runChild<NaiveJob, NaiveResult>(NAIVE, { archive: corpus.archive, tempDir: join(ROOT, "tmp", `naive-${corpus.name}`), endpoints, bucket, prefix: "bench-naive/", concurrency: config.uploadConcurrency });
      return { ...result, cpuMs: result.cpuMs + cpuMsSince(host) };
    });

    return {
      corpus: { name: corpus.name, label: corpus.label, files: corpus.files, bytes: corpus.bytes, textBytes: corpus.textBytes, archiveBytes: corpus.archiveBytes },
      date: new Date().toISOString(),
      loadAtStart,
      concurrency: config.uploadConcurrency,
      cpuFloorMs: cpu.ms,
      cpuFloorCpuMs: cpu.cpuMs,
      compressibleBytes: cpu.compressibleBytes,
      uploadFloorMs: upload.ms,
      uploadFloorBytes: upload.bytes,
      uploadFloorCpuMs: upload.cpuMs,
      deploy: first,
      redeploy: again,
      naive: { ms: naive.ms, extractMs: naive.extractMs, cpuMs: naive.cpuMs },
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Opens the embedded backend in this process (as deployArchive does) for a child to upload to. */
async function withBackend<T>(config: Config, logger: ReturnType<typeof createLogger>, work: (endpoints: { s3: string; dynamodb: string }, bucket: string, backend: Backend) => Promise<T>): Promise<T> {
  const backend = await openBackend(config, logger);
  try {
    const { s3, dynamodb } = backend.config.endpoints;
    return await work({ s3: s3!, dynamodb: dynamodb! }, backend.config.buckets.sites, backend);
  } finally {
    await backend.close();
  }
}

async function measuredDeploy(config: Config, logger: ReturnType<typeof createLogger>, corpus: CorpusInfo): Promise<CorpusResult["deploy"]> {
  const { line, startedAt, wallMs, hostCpuMs, workers: memory } = await timedDeploy(config, logger, { archive: corpus.archive, site: `bench/site-${corpus.name}`, timeoutSeconds: FUNCTION_TIMEOUT_S });
  if (line.status !== "succeeded") throw new Error(`deploy of ${corpus.label} ended ${line.status}: ${line.reason} ${line.message}`);
  if (line.files !== corpus.files) throw new Error(`deploy of ${corpus.label} stored ${line.files} files, expected ${corpus.files}`);
  const record = await withBackend(config, logger, (_e, _b, backend) => new DeployRecords(backend.clients.db, backend.config.tables.deploys).get(`bench/site-${corpus.name}`, line.deployId));
  return {
    wallMs,
    handlerMs: line.durationMs,
    beforeHandlerMs: record?.startedAt ? Date.parse(record.startedAt) - startedAt : Number.NaN,
    workerCpuMs: memory.cpuMs,
    hostCpuMs,
    peakRssBytes: memory.peakBytes,
    workers: memory.pids.length,
    files: line.files,
    originalBytes: line.originalBytes,
    storedBytes: line.storedBytes,
    uploadedBytes: line.uploadedBytes,
    uploadedBlobs: record?.stats?.uploadedBlobs ?? line.files - line.reusedBlobs,
  };
}

main().catch((err: Error) => {
  log(`failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
