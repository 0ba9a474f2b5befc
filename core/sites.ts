import { GetCommand, PutCommand, QueryCommand, ScanCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { isConditionFailure, updateIf } from "./conditional.ts";
import { legacyStageHostLabel, parseSiteId, siteId, stageHostLabel, type SiteRef } from "./site.ts";

/**
 * The sites table, and the only module that writes it (docs/architecture.md, "Data"): one item
 * per stage host label (see site.ts), so the hosting gateway finds what to serve with one
 * GetItem. A GSI on `siteId` lists a site's stages. An item holds three things:
 *
 *  - ownership:  the first owner (a Connect installation or a direct site) to claim a stage
 *    keeps it; every later write names the same owner or fails (`site.owned_elsewhere`).
 *  - the live pointer (publish, rollback), each ONE conditional UpdateItem:
 *      publish(D)   allowed when nothing was published yet, or the newest published ORDER ≤ D's.
 *                   A deploy's order is when the queue dispatched it (a ULID), and the queue
 *                   dispatches a push only while its commit is the branch's tip — so order is
 *                   Bitbucket's order of commits, not when Hoist wrote a record. A newer deploy
 *                   never loses to an older one that finishes later (the older one is recorded
 *                   `superseded`); re-publishing the same D (a retried run) is idempotent.
 *      rollback(R)  allowed only while the live deploy is still the one the caller saw, so two
 *                   people rolling back at once cannot interleave; the loser gets a conflict.
 *  - the stage lock: one deploy in flight per stage, across every server process
 *    (`activeDeployId` + `activeLeaseUntil`, a short lease its holder renews while it works):
 *      t0  push A: acquireStage(A) — no active deploy → A holds the stage, its archive is fetched
 *      t1  push B: acquireStage(B) — A holds it, lease not passed → B stays queued
 *      t2  push C: acquireStage(C) — same; C stays queued
 *      t3  A ends: releaseStage(A) (only if A still holds it); the queue takes the queued push
 *          whose commit is the branch's tip (C), and marks the other queued ones (B) superseded.
 *      A process that dies holding the lock stops renewing it; once its lease passes, any live
 *      process's sweep takes the stage over (server/deploys/deploy-queue.ts, recover).
 *    acquireStage never succeeds twice for the same deploy, so two processes pumping at once
 *    cannot both dispatch it.
 */

export type SiteStage = {
  host: string;
  siteId: string;
  stage: string;
  /** Who deploys this stage: a Connect clientKey or a direct site's `direct:<ws>/<repo>`. */
  owner?: string;
  liveDeployId?: string;
  liveManifestKey?: string;
  /** Newest deploy ever published here, and its order (see publish); rollbacks move `liveDeployId` only. */
  publishedDeployId?: string;
  publishedOrder?: string;
  /** The stage lock: the deploy in flight here, and until when its holder keeps it. */
  activeDeployId?: string;
  activeLeaseUntil?: number;
  /** Set on a stage's old host once the stage serves on its one-to-one label: the gateway redirects there. */
  movedTo?: string;
  updatedAt?: string;
};

export type PublishResult = "published" | "superseded" | "owned_elsewhere" | "host_conflict";

/** The conditions of the sites table, each written once. `owner` is a reserved word in DynamoDB. */
const HOST_IS_THIS_STAGE = "(attribute_not_exists(siteId) OR (siteId = :site AND stage = :stage))";
const OWNED_BY_CALLER = "(attribute_not_exists(#owner) OR #owner = :owner)";
const NOT_NEWER_PUBLISHED = "(attribute_not_exists(publishedOrder) OR publishedOrder <= :order)";
const STAGE_HELD_BY = "activeDeployId = :d";
const LIVE_IS_EXPECTED = "liveDeployId = :expected";
const STAGE_FREE = "siteId = :site AND (attribute_not_exists(activeDeployId) OR activeLeaseUntil < :now)";
const OWNER_NAME = { "#owner": "owner" };

export class Sites {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(host: string): Promise<SiteStage | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: { host }, ConsistentRead: true }));
    return out.Item as SiteStage | undefined;
  }

  /** A site's stages as they serve now (an old host that only redirects is left out). */
  async listStages(siteId: string): Promise<SiteStage[]> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: "bySite",
        KeyConditionExpression: "siteId = :site",
        ExpressionAttributeValues: { ":site": siteId },
      }),
    );
    return ((out.Items ?? []) as SiteStage[]).filter((st) => !st.movedTo);
  }

  /**
   * Claims a stage for an owner before any deploy of it runs (so a stranger's push is refused at
   * the door). Returns false when another owner has this site (one site, one owner: any of its
   * stages counts), or the stage itself. An item left at this label by the old, lossy labels for
   * another stage is moved out of the way first (displaceMisplaced).
   */
  async claim(input: { host: string; siteId: string; stage: string; owner: string }): Promise<boolean> {
    if ((await this.listStages(input.siteId)).some((st) => st.owner !== undefined && st.owner !== input.owner)) return false;
    const claim = () =>
      updateIf(this.db, {
        TableName: this.table,
        Key: { host: input.host },
        UpdateExpression: "SET siteId = :site, stage = :stage, #owner = if_not_exists(#owner, :owner)",
        ConditionExpression: `${HOST_IS_THIS_STAGE} AND ${OWNED_BY_CALLER}`,
        ExpressionAttributeNames: OWNER_NAME,
        ExpressionAttributeValues: { ":site": input.siteId, ":stage": input.stage, ":owner": input.owner },
      });
    return (await claim()) || ((await this.displaceMisplaced(input.host)) && claim());
  }

  /** `order`: when the deploy was dispatched (a ULID; its id when no queue dispatched it, as for `hoist deploy`). */
  async publish(input: { host: string; siteId: string; stage: string; deployId: string; order?: string; manifestKey: string; owner?: string }): Promise<PublishResult> {
    const owned = input.owner !== undefined;
    const publish = () => updateIf(this.db, {
      TableName: this.table,
      Key: { host: input.host },
      UpdateExpression:
        "SET liveDeployId = :d, liveManifestKey = :m, publishedDeployId = :d, publishedOrder = :order, siteId = :site, stage = :stage, updatedAt = :now" +
        (owned ? ", #owner = if_not_exists(#owner, :owner)" : ""),
      ConditionExpression: `${HOST_IS_THIS_STAGE} AND ${NOT_NEWER_PUBLISHED}${owned ? ` AND ${OWNED_BY_CALLER}` : ""}`,
      ...(owned ? { ExpressionAttributeNames: OWNER_NAME } : {}),
      ExpressionAttributeValues: {
        ":d": input.deployId,
        ":order": input.order ?? input.deployId,
        ":m": input.manifestKey,
        ":site": input.siteId,
        ":stage": input.stage,
        ":now": new Date().toISOString(),
        ...(owned ? { ":owner": input.owner } : {}),
      },
    });
    if ((await publish()) || ((await this.displaceMisplaced(input.host)) && (await publish()))) return "published";
    // The condition failed; read the item to say which part (dynalite does not return it).
    const current = await this.get(input.host);
    if (current && (current.siteId !== input.siteId || current.stage !== input.stage)) return "host_conflict";
    if (current && owned && current.owner && current.owner !== input.owner) return "owned_elsewhere";
    return "superseded";
  }

  /** Points the stage at an earlier deploy. Returns false when the live deploy moved meanwhile. */
  async rollback(input: { host: string; toDeployId: string; manifestKey: string; expectedLiveDeployId: string }): Promise<boolean> {
    return updateIf(this.db, {
      TableName: this.table,
      Key: { host: input.host },
      UpdateExpression: "SET liveDeployId = :to, liveManifestKey = :m, updatedAt = :now",
      ConditionExpression: LIVE_IS_EXPECTED,
      ExpressionAttributeValues: { ":to": input.toDeployId, ":m": input.manifestKey, ":expected": input.expectedLiveDeployId, ":now": new Date().toISOString() },
    });
  }

  /**
   * After a site's first deploy on its one-to-one label: its item at the old label (same site and
   * stage, if any) stops serving and redirects to the new host instead.
   */
  async retireLegacyHost(ref: SiteRef, stage: string): Promise<void> {
    const [legacy, current] = [legacyStageHostLabel(ref, stage), stageHostLabel(ref, stage)];
    if (legacy === current) return;
    await updateIf(this.db, {
      TableName: this.table,
      Key: { host: legacy },
      UpdateExpression: "SET movedTo = :to, updatedAt = :now REMOVE liveDeployId, liveManifestKey",
      ConditionExpression: "siteId = :site AND stage = :stage",
      ExpressionAttributeValues: { ":to": current, ":site": siteId(ref), ":stage": stage, ":now": new Date().toISOString() },
    });
  }

  /**
   * An item at `host` that belongs at another label under the one-to-one labels was written by
   * the old, lossy ones (`acme_/blog` on `blog--acme`): the label's rightful stage may take it.
   * The occupant is copied to its own label first, so its site keeps serving there. True when
   * the label was freed (or was free); false when the occupant belongs here.
   */
  private async displaceMisplaced(host: string): Promise<boolean> {
    const occupant = await this.get(host);
    if (!occupant?.siteId) return true;
    const rightful = stageHostLabel(parseSiteId(occupant.siteId), occupant.stage);
    if (rightful === host) return false;
    const { host: _old, movedTo: _moved, activeDeployId: _a, activeLeaseUntil: _l, ...kept } = occupant;
    await this.db
      .send(new PutCommand({ TableName: this.table, Item: { ...kept, host: rightful }, ConditionExpression: "attribute_not_exists(host)" }))
      .catch((err: unknown) => {
        if (!isConditionFailure(err)) throw err;
      });
    return updateIf(this.db, {
      TableName: this.table,
      Key: { host },
      UpdateExpression: "REMOVE siteId, stage, #owner, liveDeployId, liveManifestKey, publishedDeployId, publishedOrder, activeDeployId, activeLeaseUntil, movedTo",
      ConditionExpression: "siteId = :site AND stage = :stage",
      ExpressionAttributeNames: OWNER_NAME,
      ExpressionAttributeValues: { ":site": occupant.siteId, ":stage": occupant.stage },
    });
  }

  /** Takes the stage lock for one deploy; false while another deploy's lease runs. */
  async acquireStage(input: { host: string; siteId: string; deployId: string; leaseMs: number }): Promise<boolean> {
    const now = Date.now();
    return updateIf(this.db, {
      TableName: this.table,
      Key: { host: input.host },
      UpdateExpression: "SET activeDeployId = :d, activeLeaseUntil = :lease",
      ConditionExpression: STAGE_FREE,
      ExpressionAttributeValues: { ":d": input.deployId, ":lease": now + input.leaseMs, ":site": input.siteId, ":now": now },
    });
  }

  /** Keeps the stage lock while its holder works (a heartbeat); false when another took it. */
  async renewStage(host: string, deployId: string, leaseMs: number): Promise<boolean> {
    return updateIf(this.db, {
      TableName: this.table,
      Key: { host },
      UpdateExpression: "SET activeLeaseUntil = :lease",
      ConditionExpression: STAGE_HELD_BY,
      ExpressionAttributeValues: { ":d": deployId, ":lease": Date.now() + leaseMs },
    });
  }

  /** Passes the stage lock from the deploy it was taken for to the one chosen to run. */
  async handOverStage(host: string, from: string, to: string): Promise<boolean> {
    return updateIf(this.db, {
      TableName: this.table,
      Key: { host },
      UpdateExpression: "SET activeDeployId = :to",
      ConditionExpression: STAGE_HELD_BY,
      ExpressionAttributeValues: { ":d": from, ":to": to },
    });
  }

  /** Stages whose lock holder stopped renewing it: its process is gone. */
  async expiredStageLocks(now = Date.now()): Promise<(SiteStage & { activeDeployId: string })[]> {
    const found: (SiteStage & { activeDeployId: string })[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new ScanCommand({ TableName: this.table, FilterExpression: "attribute_exists(activeDeployId) AND activeLeaseUntil < :now", ExpressionAttributeValues: { ":now": now }, ExclusiveStartKey: start }),
      );
      found.push(...((out.Items ?? []) as (SiteStage & { activeDeployId: string })[]));
      start = out.LastEvaluatedKey;
    } while (start);
    return found;
  }

  /** Every stage that serves (the queue's sweep at start); with `includeMoved`, old hosts too (gc). */
  async allStages(opts: { includeMoved?: boolean } = {}): Promise<SiteStage[]> {
    const found: SiteStage[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const filter = opts.includeMoved ? "attribute_exists(siteId)" : "attribute_exists(siteId) AND attribute_not_exists(movedTo)";
      const out = await this.db.send(new ScanCommand({ TableName: this.table, FilterExpression: filter, ExclusiveStartKey: start }));
      found.push(...((out.Items ?? []) as SiteStage[]));
      start = out.LastEvaluatedKey;
    } while (start);
    return found;
  }

  /** Gives the stage lock back, if this deploy still holds it. */
  async releaseStage(host: string, deployId: string): Promise<void> {
    await updateIf(this.db, {
      TableName: this.table,
      Key: { host },
      UpdateExpression: "REMOVE activeDeployId, activeLeaseUntil",
      ConditionExpression: STAGE_HELD_BY,
      ExpressionAttributeValues: { ":d": deployId },
    });
  }

}
