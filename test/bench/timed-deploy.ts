import type { Config } from "../../core/config.ts";
import type { createLogger } from "../../core/log.ts";
import { deployArchive, type DeployResultLine } from "../../server/cli/deploy.ts";
import { cpuMsSince } from "./child.ts";
import { watchChildRss } from "./measure-rss.ts";

/** One deploy through `hoist deploy`'s path, timed: its JSON line, wall time, this process's CPU, and every deployer worker's peak RSS and CPU. */
export type TimedDeploy = {
  line: DeployResultLine;
  /** Date.now() when the call started and ended (to line up with the record's timestamps). */
  startedAt: number;
  endedAt: number;
  wallMs: number;
  /** This process: s3rver, dynalite and the staging upload. */
  hostCpuMs: number;
  /** Every worker the deploy's LocalLambda started (the first run's and each continuation's). */
  workers: { peakBytes: number; cpuMs: number; pids: number[] };
};

export async function timedDeploy(config: Config, logger: ReturnType<typeof createLogger>, job: { archive: string; site: string; timeoutSeconds: number }): Promise<TimedDeploy> {
  const rss = watchChildRss((cmdline) => cmdline.includes("local/lambda-worker"));
  const host = process.cpuUsage();
  const startedAt = Date.now();
  const started = performance.now();
  let line: DeployResultLine;
  let workers: TimedDeploy["workers"];
  try {
    line = await deployArchive(config, logger, { archive: job.archive, site: job.site, branch: "main", timeoutSeconds: job.timeoutSeconds });
  } finally {
    workers = rss.stop();
  }
  return { line, startedAt, endedAt: Date.now(), wallMs: performance.now() - started, hostCpuMs: cpuMsSince(host), workers };
}
