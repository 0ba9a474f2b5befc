import { fileURLToPath } from "node:url";
import { CreateTableCommand, DescribeTableCommand, waitUntilTableExists, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import ace from "atlassian-connect-express";
import type { Application } from "express";
import { EMBEDDED_CREDENTIALS } from "../../lambda/core/aws.ts";
import type { Config } from "../../lambda/core/config.ts";
import type { Logger } from "../../lambda/core/log.ts";
import { aceLogger } from "./ace-logger.ts";
import { connectHosts } from "./connect-hosts.ts";
import { transformDescriptor } from "./descriptor.ts";

export type Addon = ace.AddOn;

const DESCRIPTOR_FILE = fileURLToPath(new URL("../../atlassian-connect.json", import.meta.url));
/** ACE merges a `config.json` from the working directory into its options; Hoist passes every option in code. */
const NO_CONFIG_FILE = fileURLToPath(new URL("./ace-options-are-passed-in-code.json", import.meta.url));

/** The session tokens ACE hands the panel (X-acpt) live this long (ACE's default, 15 min). */
const SESSION_TOKEN_SECONDS = 15 * 60;

export function aceSettingsTable(config: Config): string {
  return `${config.tables.prefix}addon-settings`;
}

/**
 * ACE for Bitbucket, configured entirely from Hoist's Config:
 *  - its `dynamodb` store on the configured backend (dynalite locally), table `<prefix>addon-settings`;
 *  - the host whitelist: bitbucket.org in production (without it `/installed` answers 500), loopback locally;
 *  - no install route of its own (lifecycle.ts mounts `/installed` and `/uninstalled` with Hoist's checks);
 *  - a logger of ours that never prints shared secrets.
 * Call before any route that must win over ACE's, since ACE adds its routes on the next tick.
 */
export async function createAddon(deps: { app: Application; config: Config; dynamo: DynamoDBClient; embedded: boolean; logger: Logger }): Promise<Addon> {
  const { config, app } = deps;
  const mode = config.production ? "production" : "development";
  app.set("env", mode);
  const table = aceSettingsTable(config);
  await ensureSettingsTable(deps.dynamo, table);
  const store = {
    adapter: "dynamodb",
    table,
    region: config.region,
    ...(config.endpoints.dynamodb ? { endpoint: config.endpoints.dynamodb } : {}),
    ...(deps.embedded ? { credentials: EMBEDDED_CREDENTIALS } : {}),
  };
  const options = {
    product: "bitbucket",
    localBaseUrl: config.baseUrl,
    port: config.port,
    store,
    // ACE matches hostnames as globs; bracketed IPv6 literals are left to Hoist's own check.
    whitelist: connectHosts(config).baseUrlHosts.filter((h) => !h.startsWith("[")).join(","),
    setupInstallRoute: false,
    watch: false,
    validateDescriptor: false,
    maxTokenAge: SESSION_TOKEN_SECONDS,
    descriptorTransformer: (descriptor: Record<string, unknown>) => transformDescriptor(descriptor, config),
  };
  const opts = { config: { [mode]: options } } as unknown as ace.Options;
  const logger = aceLogger(deps.logger) as unknown as Console;
  return ace(app, opts, logger, { descriptorFilename: DESCRIPTOR_FILE, configFileName: NO_CONFIG_FILE });
}

/**
 * ACE creates its table without waiting for it; a first install arriving meanwhile would fail.
 * Creating it here first (same schema: PK clientKey, SK key) closes that window.
 */
async function ensureSettingsTable(dynamo: DynamoDBClient, table: string): Promise<void> {
  try {
    await dynamo.send(new DescribeTableCommand({ TableName: table }));
    return;
  } catch (err) {
    if ((err as { name?: string }).name !== "ResourceNotFoundException") throw err;
  }
  try {
    await dynamo.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [
          { AttributeName: "clientKey", AttributeType: "S" },
          { AttributeName: "key", AttributeType: "S" },
        ],
        KeySchema: [
          { AttributeName: "clientKey", KeyType: "HASH" },
          { AttributeName: "key", KeyType: "RANGE" },
        ],
      }),
    );
  } catch (err) {
    if ((err as { name?: string }).name !== "ResourceInUseException") throw err;
  }
  await waitUntilTableExists({ client: dynamo, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { TableName: table });
}
