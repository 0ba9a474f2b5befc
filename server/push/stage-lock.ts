import { UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { isConditionFailure } from "../../lambda/core/conditional.ts";

/**
 * One deploy in flight per stage, across every server process. The lock lives on the stage's
 * item in the sites table (the same item the live pointer lives on; the gateway ignores these
 * attributes) as `activeDeployId` + `activeLeaseUntil`:
 *
 *   t0  push A: acquire(A)  — no active deploy → A holds the stage, its archive is fetched
 *   t1  push B: acquire(B)  — A holds it, lease not passed → B stays queued
 *   t2  push C: acquire(C)  — same; C stays queued
 *   t3  A ends: release(A) (only if A still holds it), then the queue takes the NEWEST queued
 *       deploy (C), acquires for it, and marks the older queued ones (B) superseded.
 *   A process that dies holding the lock loses it when its lease passes; the next push takes over.
 *
 * acquire never succeeds twice for the same deploy, so two processes pumping at once cannot
 * both dispatch it.
 */


export class StageLock {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async acquire(input: { host: string; siteId: string; deployId: string; leaseMs: number }): Promise<boolean> {
    const now = Date.now();
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { host: input.host },
          UpdateExpression: "SET activeDeployId = :d, activeLeaseUntil = :lease",
          ConditionExpression: "siteId = :site AND (attribute_not_exists(activeDeployId) OR activeLeaseUntil < :now)",
          ExpressionAttributeValues: { ":d": input.deployId, ":lease": now + input.leaseMs, ":site": input.siteId, ":now": now },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  async release(host: string, deployId: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { host },
          UpdateExpression: "REMOVE activeDeployId, activeLeaseUntil",
          ConditionExpression: "activeDeployId = :d",
          ExpressionAttributeValues: { ":d": deployId },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }
}
