import type { Config } from "../../lambda/core/config.ts";
import { createClients, type Clients } from "../../lambda/core/aws.ts";
import type { Logger } from "../../lambda/core/log.ts";
import { ensureStorage } from "../../lambda/core/setup.ts";
import { openEmbeddedBackend, withEmbeddedEndpoints, type EmbeddedBackend } from "./embedded.ts";

export type Backend = {
  /** The config with the endpoints actually in use (embedded servers filled in). */
  config: Config;
  clients: Clients;
  /** Present in embedded mode. */
  embedded?: EmbeddedBackend;
  close(): Promise<void>;
};

/** Opens the configured backend and makes sure its buckets and tables exist. */
export async function openBackend(config: Config, logger: Logger, opts: { setup?: boolean } = {}): Promise<Backend> {
  let embedded: EmbeddedBackend | undefined;
  let effective = config;
  if (config.backend === "embedded") {
    embedded = await openEmbeddedBackend(config.dataDir, logger);
    effective = withEmbeddedEndpoints(config, embedded);
  }
  const clients = createClients(effective, { embedded: Boolean(embedded) });
  if (opts.setup !== false) {
    const created = await ensureStorage(effective, clients);
    if (created.length > 0) logger.info({ created }, "storage created");
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
