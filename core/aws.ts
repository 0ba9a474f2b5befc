import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import type { Config } from "./config.ts";

export type Clients = { s3: S3Client; dynamo: DynamoDBClient; db: DynamoDBDocumentClient };

/** Credentials for the embedded backend: s3rver accepts only this key id; dynalite accepts any. */
export const EMBEDDED_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

/**
 * SDK clients for the configured backend. The same code runs against AWS, moto_server and the
 * embedded s3rver/dynalite pair; only endpoints and credentials differ.
 */
export function createClients(config: Config, opts: { embedded?: boolean; maxSockets?: number } = {}): Clients {
  const credentials = opts.embedded ? EMBEDDED_CREDENTIALS : undefined;
  const s3 = new S3Client({
    region: config.region,
    endpoint: config.endpoints.s3,
    forcePathStyle: Boolean(config.endpoints.s3),
    credentials,
    // Without this the SDK streams uploads with aws-chunked framing, which s3rver stores verbatim.
    // Integrity is still checked: the deployer hashes every body it writes.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: 4,
  });
  const dynamo = new DynamoDBClient({
    region: config.region,
    endpoint: config.endpoints.dynamodb,
    credentials,
    maxAttempts: 4,
  });
  const db = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  return { s3, dynamo, db };
}
