import { IAMClient } from "@aws-sdk/client-iam";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { S3Client } from "@aws-sdk/client-s3";
import type { Config } from "../../../core/config.ts";

export type ReleaseClients = { lambda: LambdaClient; iam: IAMClient; s3: S3Client };

/**
 * Clients for shipping the deployer, with the operator's credentials (the SDK's default chain).
 * Endpoints come from the config so the same code runs against AWS and moto_server.
 */
export function createReleaseClients(config: Config): ReleaseClients {
  const base = { region: config.region, maxAttempts: 4 };
  return {
    lambda: new LambdaClient({ ...base, endpoint: config.endpoints.lambda }),
    iam: new IAMClient({ ...base, endpoint: config.endpoints.iam }),
    s3: new S3Client({ ...base, endpoint: config.endpoints.s3, forcePathStyle: Boolean(config.endpoints.s3) }),
  };
}

export function destroyReleaseClients(clients: ReleaseClients): void {
  clients.lambda.destroy();
  clients.iam.destroy();
  clients.s3.destroy();
}
