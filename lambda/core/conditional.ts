import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";

/** True when a DynamoDB write was refused by its condition expression (a lost race, not a fault). */
export function isConditionFailure(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException || (err as { name?: string })?.name === "ConditionalCheckFailedException";
}
