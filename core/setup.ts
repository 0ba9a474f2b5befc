import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  waitUntilTableExists,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import type { Config } from "./config.ts";

/** Creates Hoist's buckets and tables when missing. Safe to run any number of times. */
export async function ensureStorage(config: Config, clients: { s3: S3Client; dynamo: DynamoDBClient }): Promise<string[]> {
  const created: string[] = [];
  for (const bucket of [config.buckets.staging, config.buckets.sites]) {
    if (await bucketExists(clients.s3, bucket)) continue;
    try {
      await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
      created.push(`bucket ${bucket}`);
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists") throw err;
    }
  }
  const sites = stringKeyedTable(config.tables.sites, "host");
  sites.AttributeDefinitions!.push({ AttributeName: "siteId", AttributeType: "S" });
  sites.GlobalSecondaryIndexes = [{ IndexName: "bySite", KeySchema: stringKeyedTable("", "siteId", "host").KeySchema, Projection: { ProjectionType: "ALL" } }];
  const tables = [stringKeyedTable(config.tables.deploys, "siteId", "deployId"), sites];
  for (const table of tables) {
    if (await ensureTable(clients.dynamo, table)) created.push(`table ${table.TableName}`);
  }
  return created;
}

export type TableDefinition = ConstructorParameters<typeof CreateTableCommand>[0];

/** An on-demand table keyed by a string partition key and, optionally, a string sort key. */
export function stringKeyedTable(name: string, partitionKey: string, sortKey?: string): TableDefinition {
  const keys = sortKey ? [partitionKey, sortKey] : [partitionKey];
  return {
    TableName: name,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: keys.map((AttributeName) => ({ AttributeName, AttributeType: "S" })),
    KeySchema: keys.map((AttributeName, i) => ({ AttributeName, KeyType: i === 0 ? "HASH" : "RANGE" })),
  };
}

/**
 * Creates a table when missing and waits until it can be used (a request racing a fresh table
 * would fail). True when this call created it.
 */
export async function ensureTable(dynamo: DynamoDBClient, table: TableDefinition): Promise<boolean> {
  if (await tableExists(dynamo, table.TableName!)) return false;
  let created = false;
  try {
    await dynamo.send(new CreateTableCommand(table));
    created = true;
  } catch (err) {
    if (!(err instanceof ResourceInUseException) && (err as { name?: string }).name !== "ResourceInUseException") throw err;
  }
  await waitUntilTableExists({ client: dynamo, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { TableName: table.TableName! });
  return created;
}

async function bucketExists(s3: S3Client, bucket: string): Promise<boolean> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return true;
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404 || (err as { name?: string }).name === "NotFound") return false;
    throw err;
  }
}

async function tableExists(dynamo: DynamoDBClient, table: string): Promise<boolean> {
  try {
    await dynamo.send(new DescribeTableCommand({ TableName: table }));
    return true;
  } catch (err) {
    if ((err as { name?: string }).name === "ResourceNotFoundException") return false;
    throw err;
  }
}
