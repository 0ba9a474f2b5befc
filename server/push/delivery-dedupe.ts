import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/**
 * Bitbucket redelivers a webhook (5xx, timeout, a duplicate) with the same X-Request-UUID.
 * The first delivery of (request uuid, site, stage, commit) writes a marker with a conditional
 * put; every later one finds it and deploys nothing. Markers sit in the deploys table under a
 * partition no site id can take (`#delivery/…`: `#` is not a slug character), with `expiresAt`
 * for a DynamoDB TTL in AWS (dynalite has none; local markers just stay).
 */
const KEEP_SECONDS = 7 * 24 * 3600;

export class DeliveryDedupe {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** True the first time this delivery asks to deploy this commit to this stage. */
  async firstTime(input: { deliveryId: string; siteId: string; stage: string; commit: string }): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            siteId: `#delivery/${input.siteId}`,
            deployId: `${input.deliveryId}/${input.stage}/${input.commit}`,
            expiresAt: Math.floor(Date.now() / 1000) + KEEP_SECONDS,
          },
          ConditionExpression: "attribute_not_exists(deployId)",
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException || (err as { name?: string }).name === "ConditionalCheckFailedException") return false;
      throw err;
    }
  }
}
