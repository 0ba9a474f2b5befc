import { setTimeout as sleep } from "node:timers/promises";
import { ulid } from "ulid";
import type { Clients } from "../../core/aws.ts";
import type { Config } from "../../core/config.ts";
import { FINAL_STATUSES, type DeployRecord, type DeployRecords } from "../../core/deploy-records.ts";
import type { Logger } from "../../core/log.ts";
import { parseSiteId, stageHostLabel } from "../../core/site.ts";
import type { Sites } from "../../core/sites.ts";
import type { BitbucketClient } from "../bitbucket/client.ts";
import type { OwnerCredentials } from "../owners/owner-credentials.ts";
import { buildStatusOf } from "./build-status.ts";
import { fetchAndStage } from "./fetch-and-stage.ts";

/**
 * Per-stage deploy queue, its state in DynamoDB (deploy records + the stage lock on the stage's
 * item, core/sites.ts), so any number of server processes can share it:
 *   enqueue(record)  post INPROGRESS, then pump the record's stage;
 *   pump(stage)      if no deploy holds the stage: choose the queued push whose commit is the
 *                    branch's tip now (Bitbucket's order, not the order Hoist wrote records in),
 *                    supersede every other queued one (STOPPED status), dispatch it with its
 *                    publish order, and run it;
 *   run(deploy)      fetch the archive into staging (the deployer starts on ObjectCreated), watch
 *                    the record until it ends, post the final status, release, pump again.
 * The process running a deploy renews the stage lock every LOCK_RENEW_MS; a process that dies
 * stops renewing, and within LOCK_LEASE_MS any live process's sweep (recover(), at start and
 * every SWEEP_MS) takes the stage over: a deploy that ended gets its final status, a queued one
 * is dispatched again (at most MAX_REDRIVES times), a running one whose deployer is gone ends
 * `deploy.interrupted`; then the stage's newest queued push runs. A running deploy is never
 * cancelled; newer pushes wait for it.
 *
 * Final statuses are posted by the process that watches a deploy, which polls its record: the
 * deployer stays free of Bitbucket credentials.
 */

export type DeployQueueDeps = {
  config: Config;
  clients: Clients;
  records: DeployRecords;
  sites: Sites;
  /** Bitbucket credentials of a deploy's owner (Connect installation or direct site). */
  credentials: OwnerCredentials;
  bitbucket: BitbucketClient;
  logger: Logger;
  pollMs?: number;
  /** Delays between archive download attempts (tests shorten them). */
  fetchRetryDelaysMs?: number[];
  /** Told when Bitbucket refuses or accepts a site's credentials (the dashboard shows "needs attention"). */
  onCredentials?: (siteId: string, message: string | undefined) => Promise<void>;
};

/** How long after a run's lease passes before its deploy counts as abandoned (Lambda retries within ~3 min). */
const ABANDONED_AFTER_MS = 4 * 60_000;
/** The stage lock's lease, renewed while its holder works; what a dead holder costs the stage. */
export const LOCK_LEASE_MS = 60_000;
const LOCK_RENEW_MS = 15_000;
/** How often a process looks for stages whose holder died. */
export const SWEEP_MS = 30_000;
/** A queued deploy whose dispatcher died is dispatched again at most this often. */
const MAX_REDRIVES = 3;

export class DeployQueue {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly held = new Map<string, string>();
  private stopped = false;

  constructor(private readonly deps: DeployQueueDeps) {}

  /** How long a deploy is watched: fetching plus the deployer's attempts (Lambda retries twice). */
  private get watchMs(): number {
    return 10 * 60_000 + this.deps.config.lambdaTimeoutSeconds * 1000 * 3;
  }

  /** Off Lambda (the embedded backend) only the local runner's quick retries can still come. */
  private get abandonedAfterMs(): number {
    return this.deps.config.backend === "embedded" ? 30_000 : ABANDONED_AFTER_MS;
  }

  async enqueue(record: DeployRecord): Promise<void> {
    await this.postStatus(record);
    await this.pump(record.siteId, record.stage);
  }

  async pump(siteId: string, stage: string): Promise<void> {
    if (this.stopped) return;
    const { deploys } = await this.deps.records.list(siteId, { stage, limit: 50 });
    // `hoist deploy` stages its own archive and is never dispatched by the queue.
    const queued = deploys.filter((d) => d.status === "queued" && d.trigger !== "cli");
    const newest = queued[0];
    if (!newest) return;
    const host = stageHostLabel(parseSiteId(siteId), stage);
    if (!(await this.deps.sites.acquireStage({ host, siteId, deployId: newest.deployId, leaseMs: LOCK_LEASE_MS }))) return;
    const chosen = await this.choose(queued);
    if (chosen && chosen.deployId !== newest.deployId && !(await this.deps.sites.handOverStage(host, newest.deployId, chosen.deployId))) return;
    for (const other of queued.filter((d) => d !== chosen)) {
      const reasonMessage = chosen
        ? `A newer push (${chosen.commit.slice(0, 12)}) was queued behind the running deploy, so this one was skipped.`
        : `The branch has moved on since this push (to a commit not queued yet), so ${other.commit.slice(0, 12)} was skipped; the newer push deploys instead.`;
      if (await this.deps.records.endQueued(siteId, other.deployId, { status: "superseded", reason: "deploy.superseded", reasonMessage })) {
        await this.postStatus({ ...other, status: "superseded", reason: "deploy.superseded", reasonMessage });
      }
    }
    if (!chosen) {
      await this.deps.sites.releaseStage(host, newest.deployId);
      return;
    }
    this.track(this.dispatch(chosen, host, { redrive: false }));
  }

  /**
   * Which queued deploy runs: the push whose commit is the branch's tip now; a redeploy (a person
   * chose that commit) when it is the newest; the newest when Bitbucket cannot say; none when the
   * branch has moved on to a commit that is not queued (its push is on its way).
   */
  private async choose(queued: DeployRecord[]): Promise<DeployRecord | undefined> {
    const newest = queued[0]!;
    if (newest.trigger !== "push" || !newest.owner) return newest;
    try {
      const creds = await this.deps.credentials.forDeploy(newest.owner);
      if (!creds) return newest;
      const tip = await this.deps.bitbucket.branchTip(creds, parseSiteId(newest.siteId), newest.branch);
      if (tip === undefined) return newest;
      return queued.find((d) => d.trigger === "push" && d.branch === newest.branch && d.commit === tip);
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message, siteId: newest.siteId }, "could not read the branch's tip; running the newest queued deploy");
      return newest;
    }
  }

  /**
   * Takes over stages whose lock holder stopped renewing (its process died): at start and every
   * SWEEP_MS. With `everyStage`, also pumps every stage, for pushes queued just before a crash.
   */
  async recover(opts: { everyStage?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    for (const lock of await this.deps.sites.expiredStageLocks()) {
      const record = await this.deps.records.get(lock.siteId, lock.activeDeployId);
      if (!(await this.deps.sites.acquireStage({ host: lock.host, siteId: lock.siteId, deployId: lock.activeDeployId, leaseMs: LOCK_LEASE_MS }))) continue;
      const log = this.deps.logger.child({ deployId: lock.activeDeployId, siteId: lock.siteId, stage: lock.stage });
      log.warn({ status: record?.status }, "taking over a stage whose process stopped");
      this.track(this.resume(record, lock.host, lock.activeDeployId, log));
    }
    if (opts.everyStage) {
      for (const stage of await this.deps.sites.allStages()) await this.pump(stage.siteId, stage.stage).catch((err) => this.deps.logger.error({ err, host: stage.host }, "could not pump a stage"));
    }
  }

  private async resume(record: DeployRecord | undefined, host: string, deployId: string, log: Logger): Promise<void> {
    if (record?.status === "queued" && (record.redrives ?? 0) < MAX_REDRIVES) return this.dispatch(record, host, { redrive: true });
    await this.watched(host, deployId, log, async () => {
      if (record?.status === "queued") {
        await this.deps.records.endQueued(record.siteId, record.deployId, {
          status: "failed",
          reason: "deploy.interrupted",
          reasonMessage: `Hoist stopped ${MAX_REDRIVES + 1} times while preparing this deploy. The live site is unchanged; redeploy to try again.`,
        });
      } else if (record?.status === "running") {
        const stale = (record.leaseExpiresAt ?? 0) < Date.now() - this.abandonedAfterMs;
        if (stale) await this.deps.records.expireAbandoned(record.siteId, record.deployId, { graceMs: this.abandonedAfterMs, interrupted: true });
        else return this.waitForEnd(record, log);
      }
      return record && this.deps.records.get(record.siteId, record.deployId);
    });
  }

  private async dispatch(record: DeployRecord, host: string, opts: { redrive: boolean }): Promise<void> {
    const log = this.deps.logger.child({ deployId: record.deployId, siteId: record.siteId, stage: record.stage, deliveryId: record.deliveryId });
    await this.watched(host, record.deployId, log, async () => {
      const dispatched = await this.deps.records.markDispatched(record.siteId, record.deployId, ulid(), opts);
      if (!dispatched) return this.deps.records.get(record.siteId, record.deployId);
      const staged = await fetchAndStage({ ...this.deps, logger: log, noteCredentials: (siteId, message) => this.noteCredentials(siteId, message) }, dispatched);
      return staged ? this.waitForEnd(dispatched, log) : this.deps.records.get(record.siteId, record.deployId);
    });
  }

  /**
   * Holds the stage (renewing its lock) while `work` runs; then posts the deploy's final status,
   * releases the stage and pumps it, so the next queued push runs without waiting for another.
   */
  private async watched(host: string, deployId: string, log: Logger, work: () => Promise<DeployRecord | undefined>): Promise<void> {
    this.held.set(host, deployId);
    const beat = setInterval(() => void this.deps.sites.renewStage(host, deployId, LOCK_LEASE_MS).catch(() => undefined), LOCK_RENEW_MS);
    let final: DeployRecord | undefined;
    try {
      final = await work();
      if (final) await this.postStatus(final);
    } finally {
      clearInterval(beat);
      this.held.delete(host);
      await this.deps.sites.releaseStage(host, deployId).catch((err) => log.error({ err }, "could not release the stage"));
    }
    if (final) await this.pump(final.siteId, final.stage);
  }

  /** Resolves when every deploy this process watches has ended (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Shutdown: no new dispatches; waits up to `graceMs` for the deploys this process watches, then
   * hands their stages back (lease 0), so another process's sweep takes them over at once.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    await Promise.race([this.idle(), sleep(graceMs)]);
    for (const [host, deployId] of this.held) await this.deps.sites.renewStage(host, deployId, -1).catch(() => undefined);
  }

  private track(work: Promise<void>): void {
    const done = work.catch((err) => this.deps.logger.error({ err }, "deploy run failed unexpectedly"));
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
  }

  /** Polls the record until the deployer ends it, or gives up at the watch budget and says why. */
  private async waitForEnd(record: DeployRecord, log: Logger): Promise<DeployRecord | undefined> {
    let until = Date.now() + this.watchMs;
    let runs = 0;
    for (;;) {
      const current = await this.deps.records.get(record.siteId, record.deployId);
      if (!current || FINAL_STATUSES.includes(current.status)) return current;
      // A deploy handed on to a continuation (or retried) is still making its way: watch it anew.
      const seen = (current.continuations ?? 0) + (current.attempt ?? 0);
      if (seen > runs) {
        runs = seen;
        until = Date.now() + this.watchMs;
      }
      // Every deployer attempt was killed without a word: Lambda's async retries come within about
      // three minutes of a failure, each re-claiming the deploy; after that nobody will end it.
      const abandoned = current.status === "running" && (current.leaseExpiresAt ?? Number.POSITIVE_INFINITY) < Date.now() - ABANDONED_AFTER_MS;
      if (abandoned && (await this.deps.records.expireAbandoned(record.siteId, record.deployId, { graceMs: ABANDONED_AFTER_MS }))) {
        log.error("every deployer attempt was killed before recording an outcome; marked timed out");
        return this.deps.records.get(record.siteId, record.deployId);
      }
      if (Date.now() > until) {
        log.error({ status: current.status }, "the deployer did not finish this deploy in time");
        if (current.status === "queued") {
          await this.deps.records.endQueued(record.siteId, record.deployId, { status: "failed", reason: "deploy.internal", reasonMessage: "The deployer never started this deploy. The live site is unchanged; redeploy to try again." });
          return this.deps.records.get(record.siteId, record.deployId);
        }
        return { ...current, status: "timed_out", reason: "deploy.timed_out", reasonMessage: "The deployer was stopped at its time limit without finishing. The live site is unchanged." };
      }
      await sleep(this.deps.pollMs ?? 250);
    }
  }

  /** Bitbucket refused a site's credentials (`message`), or accepted them again (undefined). */
  async noteCredentials(siteId: string, message: string | undefined): Promise<void> {
    await this.deps.onCredentials?.(siteId, message).catch((err) => this.deps.logger.warn({ err: (err as Error).message }, "could not record the site's credential state"));
  }

  async postStatus(record: DeployRecord): Promise<void> {
    if (!record.owner) return;
    const log = this.deps.logger.child({ deployId: record.deployId, siteId: record.siteId });
    try {
      const inst = await this.deps.credentials.forStatus(record.owner);
      if (!inst) return;
      const ref = parseSiteId(record.siteId);
      await this.deps.bitbucket.postBuildStatus(inst, ref, record.commit, buildStatusOf(record, this.deps.config.sitesDomain));
    } catch (err) {
      log.warn({ err: (err as Error).message, status: record.status }, "could not post the build status to Bitbucket");
    }
  }
}
