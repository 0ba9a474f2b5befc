import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../../../core/config.ts";
import { DeployRecords, type DeployRun } from "../../../core/deploy-records.ts";
import { createLogger } from "../../../core/log.ts";
import { openBackend } from "../../../server/backend.ts";
import type { CorpusInfo } from "../corpus.ts";
import { timedDeploy } from "../timed-deploy.ts";
import { loadNow, type CorpusResult } from "../report.ts";

/**
 * `npm run bench -- --only resume`: resumable deploys. The same archive (the 1 GB corpus by
 * default) deployed through the real path (`hoist deploy`'s deployArchive: staged archive →
 * LocalLambda worker process → continuations, each a new asynchronous invocation of the deployer
 * under the same function timeout), first with an effectively unlimited timeout (the baseline),
 * then with short function timeouts that force the deploy to be handed on to continuations.
 *
 * Every deploy gets a fresh embedded backend data folder and its own site, so no deploy reuses a
 * blob an earlier one stored. The deployer worker processes (one or more per deploy: a
 * continuation is invoked while the run handing off is still finishing, so it may start another
 * worker) are watched for peak RSS (VmHWM) and CPU; per-run figures come from the deploy record's
 * `runs`, read back after the deploy.
 */

export const DEFAULT_TIMEOUTS_S = [60, 20, 10];

export type ResumeDeploy = {
  /** The function timeout given to `hoist deploy --timeout`. */
  timeoutSeconds: number;
  /** The baseline: a timeout no run reaches. */
  unlimited: boolean;
  site: string;
  deployId: string;
  status: string;
  reason: string | null;
  message: string | null;
  continuations: number;
  files: number;
  /** The whole deployArchive call: backend start, queued record, staging, every run, the tidy-up wait. */
  wallMs: number;
  /** The record's durationMs: first claim → outcome written (every run and the gaps between them). */
  handlerMs: number;
  /** The highest VmHWM of any deployer worker process of this deploy. */
  peakRssBytes: number;
  /** Deployer worker processes seen (warm workers are reused between runs). */
  workers: number;
  workerCpuMs: number;
  /** The bench process: s3rver, dynalite and the staging upload. */
  hostCpuMs: number;
  /** Per run, from the deploy record; empty when the deploy needed one run (the record then keeps none). */
  runs: DeployRun[];
  loadAtStart: string;
  loadAtEnd: string;
};

export type ResumeResult = {
  corpus: { name: string; label: string; files: number; bytes: number; archiveBytes: number };
  date: string;
  loadAtStart: string;
  loadAtEnd: string;
  timeoutMarginMs: number;
  maxContinuations: number;
  concurrency: number;
  /** Today's bound: the deployer part's peak RSS for the same corpus (the Deployer table), if it has been measured. */
  bound?: { peakRssBytes: number; date: string };
  deploys: ResumeDeploy[];
};

export async function benchResume(
  root: string,
  opts: { corpus: CorpusInfo; configFor: (dataDir: string) => Config; unlimitedSeconds: number; timeouts?: number[]; log: (line: string) => void },
): Promise<ResumeResult> {
  const { corpus } = opts;
  const timeouts = opts.timeouts ?? DEFAULT_TIMEOUTS_S;
  const log = (line: string) => opts.log(`resume: ${line}`);
  const logger = createLogger({ level: "warn", name: "bench", stderr: true });
  const loadAtStart = loadNow();
  const plan = [{ timeoutSeconds: opts.unlimitedSeconds, unlimited: true }, ...timeouts.map((t) => ({ timeoutSeconds: t, unlimited: false }))];
  const deploys: ResumeDeploy[] = [];
  let config: Config | undefined;
  for (const step of plan) {
    const name = step.unlimited ? "unlimited" : `${step.timeoutSeconds}s`;
    const dataDir = join(root, "data", `resume-${name}`);
    rmSync(dataDir, { recursive: true, force: true });
    config = opts.configFor(dataDir);
    try {
      log(
        `${corpus.label}, function timeout ${step.unlimited ? `${step.timeoutSeconds} s (unlimited in effect)` : `${step.timeoutSeconds} s`}: deploy (load ${loadNow()})`,
      );
      const measured = await measuredDeploy(config, logger, corpus, `bench/resume-${name}`, step.timeoutSeconds, step.unlimited);
      deploys.push(measured);
      const skip = measured.runs.reduce((s, r) => s + r.skipMs, 0);
      log(
        `${name}: ${measured.status}, ${measured.continuations} continuations, ${measured.files} files, wall ${(measured.wallMs / 1000).toFixed(1)} s, handler ${(measured.handlerMs / 1000).toFixed(1)} s, re-read ${(skip / 1000).toFixed(1)} s, peak RSS ${(measured.peakRssBytes / 1024 ** 2).toFixed(0)} MB over ${measured.workers} workers`,
      );
      if (step.unlimited && measured.status !== "succeeded")
        throw new Error(`the unlimited baseline deploy ended ${measured.status}: ${measured.reason} ${measured.message}`);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  return {
    corpus: { name: corpus.name, label: corpus.label, files: corpus.files, bytes: corpus.bytes, archiveBytes: corpus.archiveBytes },
    date: new Date().toISOString(),
    loadAtStart,
    loadAtEnd: loadNow(),
    timeoutMarginMs: config!.timeoutMarginMs,
    maxContinuations: config!.maxContinuations,
    concurrency: config!.uploadConcurrency,
    bound: todaysBound(root, corpus.name),
    deploys,
  };
}

/** The deployer part's latest peak RSS for this corpus (.bench/results/<corpus>.json), the bound a resumable deploy must stay within. */
function todaysBound(root: string, corpus: string): ResumeResult["bound"] {
  const file = join(root, "results", `${corpus}.json`);
  if (!existsSync(file)) return undefined;
  const result = JSON.parse(readFileSync(file, "utf8")) as CorpusResult;
  return { peakRssBytes: result.deploy.peakRssBytes, date: result.date };
}

async function measuredDeploy(
  config: Config,
  logger: ReturnType<typeof createLogger>,
  corpus: CorpusInfo,
  site: string,
  timeoutSeconds: number,
  unlimited: boolean,
): Promise<ResumeDeploy> {
  const loadAtStart = loadNow();
  const { line, wallMs, hostCpuMs, workers: memory } = await timedDeploy(config, logger, { archive: corpus.archive, site, timeoutSeconds });
  const backend = await openBackend(config, logger);
  let runs: DeployRun[];
  try {
    const record = await new DeployRecords(backend.clients.db, backend.config.tables.deploys).get(site, line.deployId);
    runs = record?.runs ?? [];
  } finally {
    await backend.close();
  }
  return {
    timeoutSeconds,
    unlimited,
    site,
    deployId: line.deployId,
    status: line.status,
    reason: line.reason,
    message: line.message,
    continuations: line.continuations,
    files: line.files,
    wallMs,
    handlerMs: line.durationMs,
    peakRssBytes: memory.peakBytes,
    workers: memory.pids.length,
    workerCpuMs: memory.cpuMs,
    hostCpuMs,
    runs,
    loadAtStart,
    loadAtEnd: loadNow(),
  };
}
