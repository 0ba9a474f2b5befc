import { setTimeout as sleep } from "node:timers/promises";
import type { Clients } from "../../core/aws.ts";
import type { Config } from "../../core/config.ts";
import { FINAL_STATUSES, type DeployRecord, type DeployRecords } from "../../core/deploy-records.ts";
import type { Logger } from "../../core/log.ts";
import { parseSiteId, stageHostLabel } from "../../core/site.ts";
import type { Sites } from "../../core/sites.ts";
import type { BitbucketClient } from "../bitbucket/client.ts";
import { buildStatusOf } from "./build-status.ts";
import { fetchAndStage } from "./fetch-and-stage.ts";
import type { OwnerCredentials } from "../owners/owner-credentials.ts";

/**
 * Per-stage deploy queue, its state in DynamoDB (deploy records + the stage lock), so any number
 * of server processes can share it:
 *   enqueue(record)  post INPROGRESS, then pump the record's stage;
 *   pump(stage)      if no deploy holds the stage: take the NEWEST queued deploy, supersede the
 *                    older queued ones (STOPPED status), and run it;
 *   run(deploy)      fetch the archive into staging (the deployer starts on ObjectCreated), watch
 *                    the record until it ends, post the final status, release, pump again.
 * A running deploy is never cancelled; newer pushes wait for it.
 *
 * Final statuses are posted by the process that ran the deploy, which polls its record: the
 * deployer stays free of Bitbucket credentials, and this file plus bitbucket/client.ts are the
 * only code that talks to Bitbucket. If that process dies mid-deploy the final status is not
 * posted (the record and the site are still right); the stage unlocks when the lease passes.
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
};

/** How long after a run's lease passes before its deploy counts as abandoned (Lambda retries within ~3 min). */
const ABANDONED_AFTER_MS = 4 * 60_000;

export class DeployQueue {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly deps: DeployQueueDeps) {}

  /** How long one deploy may hold its stage: fetching plus the deployer's attempts (Lambda retries twice). */
  private get leaseMs(): number {
    return 10 * 60_000 + this.deps.config.lambdaTimeoutSeconds * 1000 * 3;
  }

  async enqueue(record: DeployRecord): Promise<void> {
    await this.postStatus(record);
    await this.pump(record.siteId, record.stage);
  }

  async pump(siteId: string, stage: string): Promise<void> {
    const { deploys } = await this.deps.records.list(siteId, { stage, limit: 50 });
    const queued = deploys.filter((d) => d.status === "queued");
    const newest = queued[0];
    if (!newest) return;
    const host = stageHostLabel(parseSiteId(siteId), stage);
    if (!(await this.deps.sites.acquireStage({ host, siteId, deployId: newest.deployId, leaseMs: this.leaseMs }))) return;
    for (const older of queued.slice(1)) {
      const ended = await this.deps.records.endQueued(siteId, older.deployId, {
        status: "superseded",
        reason: "deploy.superseded",
        reasonMessage: `A newer push (${newest.commit.slice(0, 12)}) was queued behind the running deploy, so this one was skipped.`,
      });
      if (ended) await this.postStatus({ ...older, status: "superseded" });
    }
    this.track(this.run(newest, host));
  }

  /** Resolves when every deploy this process runs has ended (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private track(work: Promise<void>): void {
    const done = work.catch((err) => this.deps.logger.error({ err }, "deploy run failed unexpectedly"));
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
  }

  private async run(record: DeployRecord, host: string): Promise<void> {
    const log = this.deps.logger.child({ deployId: record.deployId, siteId: record.siteId, stage: record.stage, deliveryId: record.deliveryId });
    try {
      const staged = await fetchAndStage({ ...this.deps, logger: log }, record);
      const final = staged ? await this.waitForEnd(record, log) : await this.deps.records.get(record.siteId, record.deployId);
      if (final) await this.postStatus(final);
    } finally {
      await this.deps.sites.releaseStage(host, record.deployId).catch((err) => log.error({ err }, "could not release the stage"));
    }
    await this.pump(record.siteId, record.stage);
  }

  /** Polls the record until the deployer ends it, or gives up at the lease and says why. */
  private async waitForEnd(record: DeployRecord, log: Logger): Promise<DeployRecord | undefined> {
    const until = Date.now() + this.leaseMs;
    for (;;) {
      const current = await this.deps.records.get(record.siteId, record.deployId);
      if (!current || FINAL_STATUSES.includes(current.status)) return current;
      // Every Lambda attempt was killed without a word: Lambda's async retries come within about
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
