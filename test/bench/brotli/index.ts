import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../../../core/config.ts";
import { DeployRecords } from "../../../core/deploy-records.ts";
import { createLogger } from "../../../core/log.ts";
import { manifestKey, readManifest } from "../../../core/manifest.ts";
import { openBackend } from "../../../server/backend.ts";
import type { CorpusInfo } from "../corpus.ts";
import { timedDeploy } from "../timed-deploy.ts";
import { loadNow } from "../report.ts";
import { downloadBytes, type DownloadBytes } from "./report.ts";

/**
 * `npm run bench -- --only brotli`: what the brotli copy made at deploy time (HOIST_BROTLI_QUALITY)
 * costs the deploy and saves the visitor. Each corpus (the 25 MB mixed site and the 20k small
 * files by default: the text-heavy ones) is deployed through the real path (`hoist deploy`'s
 * deployArchive: staged archive → LocalLambda worker process) once per quality per repeat, with
 * quality 0 (no brotli copy) as the baseline. The qualities take turns, their order reversed on
 * every other repeat (0,5 | 5,0 | 0,5), so a drift in the machine's load falls on both; the
 * report takes each quality's median.
 *
 * Every deploy gets a fresh embedded backend data folder, so nothing an earlier deploy stored is
 * reused. After each deploy its manifest is read back for the bytes a visitor fetching every file
 * once downloads: without compression, as a gzip client, and as a brotli client.
 */

export const DEFAULT_QUALITIES = [0, 5];
export const DEFAULT_REPEATS = 3;

export type BrotliDeploy = {
  quality: number;
  /** 1-based: which round of the qualities this deploy belongs to. */
  repeat: number;
  site: string;
  deployId: string;
  /** The whole deployArchive call: backend start, queued record, staging, the run, the tidy-up wait. */
  wallMs: number;
  /** The record's durationMs: the handler's claim → outcome written. */
  handlerMs: number;
  /** From the call to the handler's claim (record.startedAt): backend start, queued record, staging, worker start. */
  beforeHandlerMs: number;
  /** From the outcome written (record.finishedAt) to the call's return: the run's tidy-up, closing the worker and the backend. */
  afterHandlerMs: number;
  workerCpuMs: number;
  /** The bench process: s3rver, dynalite and the staging upload. */
  hostCpuMs: number;
  peakRssBytes: number;
  workers: number;
  files: number;
  /** The deploy record's bytes: stored (primary blobs) and uploaded (every blob put, brotli copies included). */
  storedBytes: number;
  uploadedBytes: number;
  uploadedBlobs: number;
  /** From the manifest. */
  bytes: DownloadBytes;
  loadAtStart: string;
};

export type BrotliCorpusResult = {
  corpus: { name: string; label: string; files: number; bytes: number; textBytes: number; archiveBytes: number };
  deploys: BrotliDeploy[];
};

export type BrotliResult = {
  date: string;
  loadAtStart: string;
  loadAtEnd: string;
  concurrency: number;
  /** Baseline (0) first. */
  qualities: number[];
  repeats: number;
  corpora: BrotliCorpusResult[];
};

/** The order of the qualities in round `repeat` (0-based): as given, then reversed, and so on. */
export function roundOrder(qualities: number[], repeat: number): number[] {
  return repeat % 2 === 0 ? [...qualities] : [...qualities].reverse();
}

export async function benchBrotli(
  root: string,
  opts: {
    corpora: CorpusInfo[];
    configFor: (dataDir: string) => Config;
    qualities?: number[];
    repeats?: number;
    timeoutSeconds: number;
    log: (line: string) => void;
  },
): Promise<BrotliResult> {
  const qualities = opts.qualities ?? DEFAULT_QUALITIES;
  if (qualities[0] !== 0) throw new Error("brotli bench: the qualities must start with the 0 baseline");
  const repeats = opts.repeats ?? DEFAULT_REPEATS;
  const log = (line: string) => opts.log(`brotli: ${line}`);
  const logger = createLogger({ level: "warn", name: "bench", stderr: true });
  const loadAtStart = loadNow();
  const corpora: BrotliCorpusResult[] = [];
  let concurrency = 0;
  for (const corpus of opts.corpora) {
    // Into the page cache, so the first deploy does not read the archive from disk and the others from memory.
    readFileSync(corpus.archive);
    const deploys: BrotliDeploy[] = [];
    for (let repeat = 0; repeat < repeats; repeat++) {
      for (const quality of roundOrder(qualities, repeat)) {
        const name = `${corpus.name}-q${quality}-${repeat + 1}`;
        const dataDir = join(root, "data", `brotli-${name}`);
        rmSync(dataDir, { recursive: true, force: true });
        const config: Config = { ...opts.configFor(dataDir), brotliQuality: quality };
        concurrency = config.uploadConcurrency;
        try {
          log(`${corpus.label}, quality ${quality}, round ${repeat + 1} of ${repeats}: deploy (load ${loadNow()})`);
          const d = await measuredDeploy(config, logger, corpus, `bench/brotli-${corpus.name}`, quality, repeat + 1, opts.timeoutSeconds);
          deploys.push(d);
          log(
            `${name}: wall ${(d.wallMs / 1000).toFixed(2)} s, handler ${(d.handlerMs / 1000).toFixed(2)} s (before ${(d.beforeHandlerMs / 1000).toFixed(2)} s, after ${(d.afterHandlerMs / 1000).toFixed(2)} s), worker CPU ${(d.workerCpuMs / 1000).toFixed(2)} s, uploaded ${(d.uploadedBytes / 1024 ** 2).toFixed(1)} MB, ${d.bytes.brFiles} of ${d.bytes.compressibleFiles} compressible files with a br copy, br client ${(d.bytes.br / 1024 ** 2).toFixed(2)} MB vs gzip client ${(d.bytes.gzip / 1024 ** 2).toFixed(2)} MB`,
          );
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      }
    }
    corpora.push({
      corpus: {
        name: corpus.name,
        label: corpus.label,
        files: corpus.files,
        bytes: corpus.bytes,
        textBytes: corpus.textBytes,
        archiveBytes: corpus.archiveBytes,
      },
      deploys,
    });
  }
  return { date: new Date().toISOString(), loadAtStart, loadAtEnd: loadNow(), concurrency, qualities, repeats, corpora };
}

async function measuredDeploy(
  config: Config,
  logger: ReturnType<typeof createLogger>,
  corpus: CorpusInfo,
  site: string,
  quality: number,
  repeat: number,
  timeoutSeconds: number,
): Promise<BrotliDeploy> {
  const loadAtStart = loadNow();
  const { line, startedAt, endedAt, wallMs, hostCpuMs, workers: memory } = await timedDeploy(config, logger, { archive: corpus.archive, site, timeoutSeconds });
  if (line.status !== "succeeded")
    throw new Error(`deploy of ${corpus.label} at brotli quality ${quality} ended ${line.status}: ${line.reason} ${line.message}`);
  if (line.files !== corpus.files)
    throw new Error(`deploy of ${corpus.label} at brotli quality ${quality} stored ${line.files} files, expected ${corpus.files}`);
  const backend = await openBackend(config, logger);
  let bytes: DownloadBytes;
  let uploadedBlobs: number;
  let beforeHandlerMs = Number.NaN;
  let afterHandlerMs = Number.NaN;
  try {
    const record = await new DeployRecords(backend.clients.db, backend.config.tables.deploys).get(site, line.deployId);
    const manifest = await readManifest(backend.clients.s3, backend.config.buckets.sites, record?.manifestKey ?? manifestKey(site, line.deployId));
    bytes = downloadBytes(manifest.files);
    uploadedBlobs = record?.stats?.uploadedBlobs ?? line.files - line.reusedBlobs;
    if (record?.startedAt) beforeHandlerMs = Date.parse(record.startedAt) - startedAt;
    if (record?.finishedAt) afterHandlerMs = endedAt - Date.parse(record.finishedAt);
  } finally {
    await backend.close();
  }
  // The worker gets its settings from the environment (configToEnv): a brotli copy at quality 0 means it never saw the quality asked for.
  if (quality === 0 && bytes.brFiles > 0)
    throw new Error(`the quality 0 deploy of ${corpus.label} stored ${bytes.brFiles} brotli copies: HOIST_BROTLI_QUALITY did not reach the deployer worker`);
  return {
    quality,
    repeat,
    site,
    deployId: line.deployId,
    wallMs,
    handlerMs: line.durationMs,
    beforeHandlerMs,
    afterHandlerMs,
    workerCpuMs: memory.cpuMs,
    hostCpuMs,
    peakRssBytes: memory.peakBytes,
    workers: memory.pids.length,
    files: line.files,
    storedBytes: line.storedBytes,
    uploadedBytes: line.uploadedBytes,
    uploadedBlobs,
    bytes,
    loadAtStart,
  };
}
