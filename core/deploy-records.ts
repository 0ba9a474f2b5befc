import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient, type UpdateCommandInput } from "@aws-sdk/lib-dynamodb";
import { isConditionFailure, updateIf } from "./conditional.ts";
import type { SiteSettings } from "./site-settings.ts";

/**
 * The deploys table, and the only module that writes it (docs/architecture.md, "Data").
 * Deploy records: partition = site id (`workspace/repo`), sort = deploy id (a ULID, so
 * sort order is time order and history reads newest-first with one Query). Delivery markers
 * share the table under partitions no site id can take (see `firstDelivery`).
 *
 * Status machine, every arrow one conditional write:
 *
 *   queued ──claim──▶ running ──finish──▶ succeeded | failed | timed_out | superseded
 *     │                  ▲ │
 *     └─▶ failed         └─┘ a retry may re-claim a `running` deploy only after its lease
 *     └─▶ superseded         (the Lambda's deadline) has passed: the first run was killed.
 *
 * Timeline of a duplicate S3 event (the common case):
 *   t0  run A claims (queued → running, lease = t0 + remaining time, runId = A)
 *   t1  run B tries to claim: condition fails (running, lease not passed) → B exits quietly
 *   t2  run A finishes: condition `runId = A` holds → final status written
 * A killed run A never writes; after its lease, B re-claims with runId = B, and a late write
 * from A (if it were somehow alive) fails on `runId = A`.
 *
 * Continuations (docs/architecture.md, "Deploys that outlive the function"): a run about to reach
 * its function's deadline hands the deploy off instead of ending it —
 *   t0  run A: checkpoint written; handOff: runId = C (a fresh token), continuations + 1,
 *       lease = A's own deadline; then A invokes the deployer with token C
 *   t1  the continuation claims with token C (runId = C → runId = D); a duplicate of that event
 *       finds runId = D and exits; a retry of A's original event finds the lease unexpired
 *   t2  D finishes or hands off again, exactly as A did.
 * If A is killed before invoking C, Lambda's retry of A's event (after A's deadline) claims it;
 * whoever takes the deploy resumes from the checkpoint, and the token only decides who may take
 * it before the lease has passed.
 */

export type DeployStatus = "queued" | "running" | "succeeded" | "failed" | "timed_out" | "superseded";
export const FINAL_STATUSES: readonly DeployStatus[] = ["succeeded", "failed", "timed_out", "superseded"];

export type DeployStats = {
  archiveBytes: number;
  originalBytes: number;
  storedBytes: number;
  uploadedBytes: number;
  files: number;
  compressedFiles: number;
  reusedBlobs: number;
  uploadedBlobs: number;
};

/** Where a stopped deploy got to: what was done of what had been seen, and what stopped it. */
export type DeployProgress = {
  filesDone: number;
  bytesDone: number;
  filesSeen: number;
  bytesSeen: number;
  archiveBytesRead: number;
  archiveBytes?: number;
  /** What ran out, e.g. "function timeout 60 s (stopped at 58 s)". */
  limit?: string;
  elapsedMs?: number;
};

/** One run of a deploy that needed more than one (a continuation or a retry after a kill). */
export type DeployRun = {
  /** 1 for the first run. */
  run: number;
  startedAt: string;
  elapsedMs: number;
  /** Files this run stored itself, and their bytes. */
  filesStored: number;
  bytesStored: number;
  /** Files taken over from the checkpoint of earlier runs (not read again beyond their tar headers). */
  filesResumed: number;
  /** Time spent re-reading the archive up to where earlier runs had got. */
  skipMs: number;
  /** How far into the archive (compressed bytes) the run got. */
  archiveBytesRead: number;
  /** How the run ended: handed off at its time limit, or the deploy's outcome. */
  ended: "continued" | "finished";
};

export type DeployLogLine = { t: string; level: "info" | "warn" | "error"; msg: string };

export type DeployTrigger = "push" | "cli" | "redeploy";

export type DeployRecord = {
  siteId: string;
  deployId: string;
  /** Who this deploy is for: a Connect clientKey or a direct site's `direct:<ws>/<repo>`; absent for CLI deploys. */
  owner?: string;
  /** "production" or a branch name for branch stages. */
  stage: string;
  branch: string;
  commit: string;
  author?: string;
  message?: string;
  trigger: DeployTrigger;
  status: DeployStatus;
  reason?: string;
  reasonMessage?: string;
  queuedAt: string;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  stagingKey: string;
  manifestKey?: string;
  url?: string;
  stats?: DeployStats;
  progress?: DeployProgress;
  log?: DeployLogLine[];
  attempt?: number;
  runId?: string;
  leaseExpiresAt?: number;
  /** Deploy only this folder of the repository (from hoist.json `directory` or the CLI's --dir). */
  directory?: string;
  /** Settings the creator of the deploy already read (the add-on fetches hoist.json first); else the archive's file is used. */
  settings?: SiteSettings;
  /** Webhook delivery that created this deploy (for logs and support). */
  deliveryId?: string;
  /** When the queue dispatched it (a ULID): the order publishing respects (see sites.ts). */
  dispatchOrder?: string;
  /** How often a dispatch of it was taken over after its process died. */
  redrives?: number;
  /** While still queued: what is happening before the deployer starts. */
  phase?: "downloading";
  /** How often a run handed this deploy on to a continuation at its function's time limit. */
  continuations?: number;
  /** The runs of a deploy that needed more than one, oldest first (see DeployRun). */
  runs?: DeployRun[];
};

export type NewDeploy = Omit<DeployRecord, "status" | "queuedAt"> & { queuedAt?: string };

export const MAX_LOG_LINES = 100;

/** The conditions of the deploys table, each written once (`#status`: a reserved word). */
const IS_NEW = "attribute_not_exists(deployId)";
const CLAIMABLE = "#status = :queued OR (#status = :running AND leaseExpiresAt < :now)";
/** A continuation's claim: the token its predecessor handed off with. */
const HANDED_TO_ME = "#status = :running AND runId = :token";
/** The run that claimed the deploy still holds it: every write of a run is conditioned on this. */
const RUNNING_AND_MINE = "#status = :running AND runId = :runId";
const ABANDONED = "#status = :running AND leaseExpiresAt < :before";
const STILL_QUEUED = "#status = :queued";
const STATUS_NAME = { "#status": "status" };

/**
 * How long a push's marker is kept: Bitbucket redelivers within minutes. Short, because the same
 * transition can legitimately come back (a branch moved away and back); a late replay is then
 * still refused by the queue, which deploys a push only while its commit is the branch's tip.
 */
const DELIVERY_MARKER_SECONDS = 3600;

export class DeployRecords {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** One conditional update that returns the record as written, or null when its condition fails. */
  private async updated(input: UpdateCommandInput): Promise<DeployRecord | null> {
    try {
      const out = await this.db.send(new UpdateCommand({ ...input, ReturnValues: "ALL_NEW" }));
      return out.Attributes as DeployRecord;
    } catch (err) {
      if (isConditionFailure(err)) return null;
      throw err;
    }
  }

  async createQueued(input: NewDeploy): Promise<DeployRecord> {
    const record: DeployRecord = { ...input, status: "queued", queuedAt: input.queuedAt ?? new Date().toISOString() };
    await this.db.send(new PutCommand({ TableName: this.table, Item: record, ConditionExpression: IS_NEW }));
    return record;
  }

  async get(siteId: string, deployId: string): Promise<DeployRecord | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: { siteId, deployId }, ConsistentRead: true }));
    return out.Item as DeployRecord | undefined;
  }

  /**
   * True the first time a push asks to move this stage from `previous` to `commit` (within
   * DELIVERY_MARKER_SECONDS). Keyed by what the webhook's signature covers — the repository, the
   * stage's branch and the pushed transition — not by the delivery id (X-Request-UUID), which is
   * unsigned: a redelivery (Bitbucket retries after a 5xx or a timeout) and a captured body
   * re-posted under a new id both find the marker and deploy nothing. Markers live under
   * `#delivery/<siteId>` (`#` is not a slug character, so no site's history can hold them) with
   * `expiresAt`, which the condition reads itself (dynalite has no TTL; in AWS a TTL also deletes them).
   */
  async firstDelivery(input: { siteId: string; stage: string; previous?: string; commit: string; now?: number }): Promise<boolean> {
    const now = Math.floor((input.now ?? Date.now()) / 1000);
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            siteId: `#delivery/${input.siteId}`,
            deployId: `${input.stage}/${input.previous ?? "-"}..${input.commit}`,
            expiresAt: now + DELIVERY_MARKER_SECONDS,
          },
          ConditionExpression: `${IS_NEW} OR expiresAt < :now`,
          ExpressionAttributeValues: { ":now": now },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /**
   * Takes a deploy for one run. Returns the claimed record, or null when another run holds it
   * or it already ended (a duplicate event or an async retry of a finished run).
   */
  async claim(siteId: string, deployId: string, run: { runId: string; leaseMs: number; now?: number }): Promise<DeployRecord | null> {
    const now = run.now ?? Date.now();
    return this.updated({
      TableName: this.table,
      Key: { siteId, deployId },
      UpdateExpression:
        "SET #status = :running, startedAt = if_not_exists(startedAt, :started), runId = :runId, leaseExpiresAt = :lease, attempt = if_not_exists(attempt, :zero) + :one REMOVE phase",
      ConditionExpression: CLAIMABLE,
      ExpressionAttributeNames: STATUS_NAME,
      ExpressionAttributeValues: {
        ":running": "running",
        ":queued": "queued",
        ":started": new Date(now).toISOString(),
        ":runId": run.runId,
        ":lease": now + run.leaseMs,
        ":now": now,
        ":zero": 0,
        ":one": 1,
      },
    });
  }

  /**
   * A continuation takes the deploy with the token its predecessor handed off with (`handOff`).
   * Does not count as an attempt. Null when the token is stale: another run already took it.
   */
  async claimHandedOff(siteId: string, deployId: string, run: { token: string; runId: string; leaseMs: number; now?: number }): Promise<DeployRecord | null> {
    const now = run.now ?? Date.now();
    return this.updated({
      TableName: this.table,
      Key: { siteId, deployId },
      UpdateExpression: "SET runId = :runId, leaseExpiresAt = :lease",
      ConditionExpression: HANDED_TO_ME,
      ExpressionAttributeNames: STATUS_NAME,
      ExpressionAttributeValues: { ":running": "running", ":token": run.token, ":runId": run.runId, ":lease": now + run.leaseMs },
    });
  }

  /**
   * Hands a running deploy on to a continuation: the claim moves to `token` (which only the
   * continuation's event carries), the count goes up, and this run's summary is added. False
   * when this run no longer holds the deploy (nothing written).
   */
  async handOff(siteId: string, deployId: string, runId: string, next: { token: string; leaseMs: number; progress: DeployProgress; run: DeployRun; log?: DeployLogLine[]; now?: number }): Promise<boolean> {
    const now = next.now ?? Date.now();
    return updateIf(this.db, {
      TableName: this.table,
      Key: { siteId, deployId },
      UpdateExpression:
        "SET runId = :token, leaseExpiresAt = :lease, continuations = if_not_exists(continuations, :zero) + :one, progress = :p, runs = list_append(if_not_exists(runs, :none), :run), #log = :log",
      ConditionExpression: RUNNING_AND_MINE,
      ExpressionAttributeNames: { ...STATUS_NAME, "#log": "log" },
      ExpressionAttributeValues: {
        ":token": next.token,
        ":lease": now + next.leaseMs,
        ":zero": 0,
        ":one": 1,
        ":p": next.progress,
        ":none": [],
        ":run": [next.run],
        ":log": (next.log ?? []).slice(-MAX_LOG_LINES),
        ":running": "running",
        ":runId": runId,
      },
    });
  }

  /**
   * Records live progress of a running deploy and extends the run's lease to `leaseMs` from now
   * (a heartbeat: a run that dies stops renewing, so a retry can take over soon after, however
   * long its function's timeout). Silently ignored once the run lost its claim.
   */
  async reportProgress(siteId: string, deployId: string, runId: string, progress: DeployProgress, leaseMs?: number): Promise<void> {
    const lease = leaseMs === undefined ? "" : ", leaseExpiresAt = :lease";
    await updateIf(this.db, {
      TableName: this.table,
      Key: { siteId, deployId },
      UpdateExpression: `SET progress = :p${lease}`,
      ConditionExpression: RUNNING_AND_MINE,
      ExpressionAttributeNames: STATUS_NAME,
      ExpressionAttributeValues: { ":p": progress, ":running": "running", ":runId": runId, ...(leaseMs === undefined ? {} : { ":lease": Date.now() + leaseMs }) },
    });
  }

  /**
   * Gives up a claim after an unexpected crash of this run, so Lambda's retry can take the
   * deploy at once instead of waiting out the lease.
   */
  async release(siteId: string, deployId: string, runId: string): Promise<void> {
    await updateIf(this.db, {
      TableName: this.table,
      Key: { siteId, deployId },
      UpdateExpression: "SET leaseExpiresAt = :zero",
      ConditionExpression: RUNNING_AND_MINE,
      ExpressionAttributeNames: STATUS_NAME,
      ExpressionAttributeValues: { ":zero": 0, ":running": "running", ":runId": runId },
    });
  }

  /** Ends a running deploy. Returns false when this run no longer owns it (nothing written). */
  async finish(
    siteId: string,
    deployId: string,
    runId: string,
    outcome: {
      status: Exclude<DeployStatus, "queued" | "running">;
      reason?: string;
      reasonMessage?: string;
      stats?: DeployStats;
      progress?: DeployProgress;
      manifestKey?: string;
      url?: string;
      log?: DeployLogLine[];
      startedAt?: string;
      /** This run's summary, added to `runs` when the deploy had earlier runs. */
      run?: DeployRun;
    },
  ): Promise<boolean> {
    const finishedAt = new Date();
    const startedMs = outcome.startedAt ? Date.parse(outcome.startedAt) : finishedAt.getTime();
    const values: Record<string, unknown> = {
      ":status": outcome.status,
      ":finished": finishedAt.toISOString(),
      ":duration": Math.max(0, finishedAt.getTime() - startedMs),
      ":running": "running",
      ":runId": runId,
    };
    const sets = ["#status = :status", "finishedAt = :finished", "durationMs = :duration"];
    const optional: [string, unknown][] = [
      ["reason", outcome.reason],
      ["reasonMessage", outcome.reasonMessage],
      ["stats", outcome.stats],
      ["progress", outcome.progress],
      ["manifestKey", outcome.manifestKey],
      ["url", outcome.url],
      ["log", outcome.log?.slice(-MAX_LOG_LINES)],
    ];
    const names: Record<string, string> = { ...STATUS_NAME };
    for (const [name, value] of optional) {
      if (value === undefined) continue;
      // Some attribute names (url, log) are DynamoDB reserved words: always go through #names.
      sets.push(`#${name} = :${name}`);
      names[`#${name}`] = name;
      values[`:${name}`] = value;
    }
    if (outcome.run) {
      sets.push("runs = list_append(if_not_exists(runs, :none), :run)");
      values[":none"] = [];
      values[":run"] = [outcome.run];
    }
    return updateIf(this.db, {
      TableName: this.table,
      Key: { siteId, deployId },
      UpdateExpression: `SET ${sets.join(", ")} REMOVE leaseExpiresAt`,
      ConditionExpression: RUNNING_AND_MINE,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
  }

  /**
   * Records that the queue dispatched a queued deploy, with its publish order. `redrive`: this
   * dispatch takes over one whose process died. Returns the record, or null when it left `queued`.
   */
  async markDispatched(siteId: string, deployId: string, order: string, opts: { redrive?: boolean } = {}): Promise<DeployRecord | null> {
    return this.updated({
      TableName: this.table,
      Key: { siteId, deployId },
      UpdateExpression: `SET dispatchOrder = :order${opts.redrive ? ", redrives = if_not_exists(redrives, :zero) + :one" : ""} REMOVE phase`,
      ConditionExpression: STILL_QUEUED,
      ExpressionAttributeNames: STATUS_NAME,
      ExpressionAttributeValues: { ":order": order, ":queued": "queued", ...(opts.redrive ? { ":zero": 0, ":one": 1 } : {}) },
    });
  }

  /** Shows, while still queued, that the archive is being downloaded. */
  async markDownloading(siteId: string, deployId: string): Promise<void> {
    await updateIf(this.db, {
      TableName: this.table,
      Key: { siteId, deployId },
      UpdateExpression: "SET phase = :phase",
      ConditionExpression: STILL_QUEUED,
      ExpressionAttributeNames: STATUS_NAME,
      ExpressionAttributeValues: { ":phase": "downloading", ":queued": "queued" },
    });
  }

  /**
   * Ends a deploy whose runs were all killed before they could record anything (Lambda stops a
   * function at its deadline; a crash does the same): `running`, its lease long past, nobody left
   * to finish it. Returns false when it ended or was re-claimed meanwhile.
   */
  async expireAbandoned(siteId: string, deployId: string, opts: { now?: number; graceMs?: number; interrupted?: boolean } = {}): Promise<boolean> {
    const now = opts.now ?? Date.now();
    const [status, reason, message] = opts.interrupted
      ? ["failed", "deploy.interrupted", "The deploy was interrupted: Hoist or its deployer stopped (a restart or a crash) before the deploy recorded an outcome. The live site is unchanged; redeploy to try again."]
      : ["timed_out", "deploy.timed_out", "The deployer was stopped at its function's time limit before it could record how far it got, and its retries were stopped too. The live site is unchanged. Deploy fewer or smaller files, or raise the function timeout (HOIST_LAMBDA_TIMEOUT)."];
    return updateIf(this.db, {
      TableName: this.table,
      Key: { siteId, deployId },
      UpdateExpression: "SET #status = :timedOut, reason = :reason, reasonMessage = :msg, finishedAt = :finished REMOVE leaseExpiresAt",
      ConditionExpression: ABANDONED,
      ExpressionAttributeNames: STATUS_NAME,
      ExpressionAttributeValues: {
        ":timedOut": status,
        ":reason": reason,
        ":msg": message,
        ":finished": new Date(now).toISOString(),
        ":running": "running",
        ":before": now - (opts.graceMs ?? 0),
      },
    });
  }

  /**
   * Ends a deploy that never started running (a failed archive fetch, invalid settings, a newer
   * push waiting behind it). Returns false if it had already left `queued`.
   */
  async endQueued(
    siteId: string,
    deployId: string,
    outcome: { status: "failed" | "superseded"; reason: string; reasonMessage: string; log?: DeployLogLine[] },
  ): Promise<boolean> {
    return updateIf(this.db, {
      TableName: this.table,
      Key: { siteId, deployId },
      UpdateExpression: "SET #status = :status, reason = :reason, reasonMessage = :msg, finishedAt = :now, durationMs = :zero, #log = :log REMOVE phase",
      ConditionExpression: STILL_QUEUED,
      ExpressionAttributeNames: { ...STATUS_NAME, "#log": "log" },
      ExpressionAttributeValues: {
        ":status": outcome.status,
        ":reason": outcome.reason,
        ":msg": outcome.reasonMessage,
        ":now": new Date().toISOString(),
        ":zero": 0,
        ":queued": "queued",
        ":log": (outcome.log ?? []).slice(-MAX_LOG_LINES),
      },
    });
  }

  /** Removes an ended deploy from the history (garbage collection); false when it is still queued or running. */
  async deleteEnded(siteId: string, deployId: string): Promise<boolean> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { siteId, deployId },
          ConditionExpression: "#status IN (:s1, :s2, :s3, :s4)",
          ExpressionAttributeNames: STATUS_NAME,
          ExpressionAttributeValues: { ":s1": "succeeded", ":s2": "failed", ":s3": "timed_out", ":s4": "superseded" },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /** Newest first. `cursor` is the last deploy id of the previous page. */
  async list(
    siteId: string,
    opts: { limit?: number; cursor?: string; stage?: string } = {},
  ): Promise<{ deploys: DeployRecord[]; nextCursor?: string }> {
    const limit = Math.min(Math.max(opts.limit ?? 20, 1), 100);
    const deploys: DeployRecord[] = [];
    let startKey: Record<string, unknown> | undefined = opts.cursor ? { siteId, deployId: opts.cursor } : undefined;
    // A stage filter may discard items, so keep reading pages until the page is full or history ends.
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: "siteId = :site",
          ExpressionAttributeValues: { ":site": siteId, ...(opts.stage ? { ":stage": opts.stage } : {}) },
          ...(opts.stage ? { FilterExpression: "stage = :stage" } : {}),
          ScanIndexForward: false,
          Limit: limit - deploys.length + (opts.stage ? 50 : 0),
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of out.Items ?? []) {
        if (deploys.length < limit) deploys.push(item as DeployRecord);
      }
      startKey = out.LastEvaluatedKey;
      if (deploys.length >= limit) break;
    } while (startKey);
    const last = deploys.at(-1);
    const more = deploys.length >= limit && last !== undefined;
    return { deploys, nextCursor: more ? last.deployId : undefined };
  }
}
