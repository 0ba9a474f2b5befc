import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { ConfigError, type Config } from "../core/config.ts";
import { createClients, type Clients } from "../core/aws.ts";
import type { Logger } from "../core/log.ts";
import { ensureStorage } from "../core/setup.ts";
import { openEmbeddedBackend, withEmbeddedEndpoints, type EmbeddedBackend } from "./local/embedded-backend.ts";

export type Backend = {
  /** The config with the endpoints actually in use (embedded servers filled in). */
  config: Config;
  clients: Clients;
  /** Present in embedded mode. */
  embedded?: EmbeddedBackend;
  close(): Promise<void>;
};

/**
 * Opens the configured backend — AWS (or anything that speaks its APIs, moto_server in tests) or
 * the embedded one (local/embedded-backend.ts) — and makes sure its buckets and tables exist.
 * `exclusive` is for long-running servers (`npm start`, `hoist serve`): they must own the embedded
 * backend, since a process that borrowed another's would lose its storage when that one exits.
 * Short commands (`hoist deploy`, `hoist setup`) borrow a running one's.
 */
export async function openBackend(config: Config, logger: Logger, opts: { setup?: boolean; exclusive?: boolean } = {}): Promise<Backend> {
  let embedded: EmbeddedBackend | undefined;
  let effective = config;
  if (config.backend === "embedded") {
    embedded = await openEmbeddedBackend(config.dataDir, logger, { slowWritesMs: config.testSlowStorageMs });
    if (opts.exclusive && !embedded.owner) {
      throw new ConfigError(
        `Another Hoist process already runs the embedded backend on ${config.dataDir} (see ${config.dataDir}/backend.json). Stop it, or give this one its own HOIST_DATA_DIR.`,
      );
    }
    effective = withEmbeddedEndpoints(config, embedded);
  }
  const clients = createClients(effective, { embedded: Boolean(embedded) });
  if (opts.setup !== false) {
    try {
      const created = await ensureStorage(effective, clients);
      if (created.length > 0) logger.info({ created }, "storage created");
    } catch (err) {
      clients.s3.destroy();
      clients.dynamo.destroy();
      await embedded?.close();
      throw storageError(err, effective);
    }
  }
  return {
    config: effective,
    clients,
    embedded,
    close: async () => {
      clients.s3.destroy();
      clients.dynamo.destroy();
      await embedded?.close();
    },
  };
}

/** True when the backend answers a read within 2 s (the server's /readyz). */
export async function storageAnswers(backend: Backend): Promise<boolean> {
  try {
    await backend.clients.db.send(new GetCommand({ TableName: backend.config.tables.sites, Key: { host: "#readyz" } }), { abortSignal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}

/** What failed at start, and what to do about it: never a bare "UnknownError". */
function storageError(err: unknown, config: Config): ConfigError {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const what = `${e.name ?? "Error"}${status ? `, HTTP ${status}` : ""}${e.message && e.message !== e.name ? `: ${e.message.slice(0, 200)}` : ""}`;
  const advice =
    config.backend === "embedded"
      ? `The embedded S3 and DynamoDB keep their data in ${config.dataDir}. If this persists, stop every Hoist process using it and start again; as a last resort move that folder aside (your sites are in its s3/ folder) and start afresh.`
      : `Check AWS_REGION, the credentials, and that the buckets ${config.buckets.staging} and ${config.buckets.sites} and the tables ${config.tables.deploys} and ${config.tables.sites} exist (infra/template.yaml, or \`npm run hoist -- setup\`).`;
  return new ConfigError(`Hoist could not open its storage (${what}). ${advice}`);
}
