import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { isConditionFailure } from "./conditional.ts";

/**
 * Site stages and their live pointers: one item per host label (see site.ts), so the hosting
 * gateway finds what to serve with one GetItem. A GSI on `siteId` lists a site's stages.
 *
 * Publishing and rollback are each ONE conditional UpdateItem of this item:
 *  - publish(deploy D):  allowed when no deploy has been published yet, or the newest published
 *    deploy id ≤ D (ids are ULIDs: time-ordered). So a newer deploy never loses to an older one
 *    that finishes later; the older one is recorded `superseded`. Re-publishing the same D (a
 *    retried run) is idempotent.
 *  - rollback(to R):     allowed only when the live deploy is still the one the caller saw,
 *    so two people rolling back at once cannot interleave; the loser gets a conflict.
 *  - ownership:          the first installation to deploy a site owns it; every later write
 *    names the same owner or fails (`site.owned_elsewhere`).
 */

export type SiteStage = {
  host: string;
  siteId: string;
  stage: string;
  ownerClientKey?: string;
  liveDeployId?: string;
  liveManifestKey?: string;
  /** Newest deploy ever published here; rollbacks move `liveDeployId` only. */
  publishedDeployId?: string;
  updatedAt?: string;
};

export type PublishResult = "published" | "superseded" | "owned_elsewhere" | "host_conflict";


export class Sites {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(host: string): Promise<SiteStage | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: { host }, ConsistentRead: true }));
    return out.Item as SiteStage | undefined;
  }

  async listStages(siteId: string): Promise<SiteStage[]> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: "bySite",
        KeyConditionExpression: "siteId = :site",
        ExpressionAttributeValues: { ":site": siteId },
      }),
    );
    return (out.Items ?? []) as SiteStage[];
  }

  async publish(input: {
    host: string;
    siteId: string;
    stage: string;
    deployId: string;
    manifestKey: string;
    owner?: string;
  }): Promise<PublishResult> {
    const values: Record<string, unknown> = {
      ":d": input.deployId,
      ":m": input.manifestKey,
      ":site": input.siteId,
      ":stage": input.stage,
      ":now": new Date().toISOString(),
    };
    let ownerCheck = "";
    if (input.owner !== undefined) {
      values[":owner"] = input.owner;
      ownerCheck = " AND (attribute_not_exists(ownerClientKey) OR ownerClientKey = :owner)";
    }
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { host: input.host },
          UpdateExpression:
            "SET liveDeployId = :d, liveManifestKey = :m, publishedDeployId = :d, siteId = :site, stage = :stage, updatedAt = :now" +
            (input.owner !== undefined ? ", ownerClientKey = if_not_exists(ownerClientKey, :owner)" : ""),
          ConditionExpression:
            "(attribute_not_exists(siteId) OR (siteId = :site AND stage = :stage))" +
            " AND (attribute_not_exists(publishedDeployId) OR publishedDeployId <= :d)" +
            ownerCheck,
          ExpressionAttributeValues: values,
        }),
      );
      return "published";
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    // The condition failed; read the item to say which part (dynalite does not return it).
    const current = await this.get(input.host);
    if (current && (current.siteId !== input.siteId || current.stage !== input.stage)) return "host_conflict";
    if (current && input.owner !== undefined && current.ownerClientKey && current.ownerClientKey !== input.owner) return "owned_elsewhere";
    return "superseded";
  }

  /** Points the stage at an earlier deploy. Returns false when the live deploy moved meanwhile. */
  async rollback(input: { host: string; toDeployId: string; manifestKey: string; expectedLiveDeployId: string }): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { host: input.host },
          UpdateExpression: "SET liveDeployId = :to, liveManifestKey = :m, updatedAt = :now",
          ConditionExpression: "liveDeployId = :expected",
          ExpressionAttributeValues: {
            ":to": input.toDeployId,
            ":m": input.manifestKey,
            ":expected": input.expectedLiveDeployId,
            ":now": new Date().toISOString(),
          },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /**
   * Claims a stage for an installation before any deploy of it runs (so a stranger's push is
   * refused at the door). Returns false when another installation owns it.
   */
  async claim(input: { host: string; siteId: string; stage: string; owner: string }): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { host: input.host },
          UpdateExpression: "SET siteId = :site, stage = :stage, ownerClientKey = if_not_exists(ownerClientKey, :owner)",
          ConditionExpression:
            "(attribute_not_exists(siteId) OR (siteId = :site AND stage = :stage)) AND (attribute_not_exists(ownerClientKey) OR ownerClientKey = :owner)",
          ExpressionAttributeValues: { ":site": input.siteId, ":stage": input.stage, ":owner": input.owner },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }
}
