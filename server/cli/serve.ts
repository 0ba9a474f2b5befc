import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import express from "express";
import type { Config } from "../../core/config.ts";
import type { Logger } from "../../core/log.ts";
import { openBackend, type Backend } from "../backend.ts";
import { createGateway } from "../gateway/router.ts";
import { pages, sendPlainPage } from "../gateway/plain-page.ts";
import { createHttpServer, listen } from "../listen.ts";

/**
 * `hoist serve`: the hosting gateway alone on PORT, against the configured backend. The full
 * add-on server mounts the same gateway next to its own routes; this is the way to look at
 * deployed sites without the add-on.
 */

export type RunningServe = {
  /** The gateway's own address (the bare domain); sites live at `<label>.<sitesDomain>`. */
  url: string;
  /** The backend the gateway reads; tests use it to write sites. Closed by close(). */
  backend: Backend;
  close(): Promise<void>;
};

export async function runServe(config: Config, logger: Logger): Promise<RunningServe> {
  const backend = await openBackend(config, logger, { exclusive: true });
  try {
    const app = express();
    app.disable("x-powered-by");
    const server = createHttpServer();
    server.on("request", app);
    const port = await listen(server, config.port, config.listenHost);
    const effective = withListeningPort(backend.config, config.port, port);
    backend.embedded?.announce({ deploys: false, sitesDomain: effective.sitesDomain });
    app.use(createGateway({ config: effective, clients: backend.clients, logger }));
    app.use((req, res) => sendPlainPage(res, bareDomainPage(effective.sitesDomain), randomUUID(), req.method === "HEAD"));
    const url = `http://localhost:${port}`;
    logger.info({ url, sitesDomain: effective.sitesDomain, backend: config.backend }, `hosting gateway listening; sites are served at http://<repo>--<workspace>.${effective.sitesDomain}/`);
    return { url, backend, close: () => close(server, backend) };
  } catch (err) {
    await backend.close();
    throw err;
  }
}

/**
 * With PORT=0 the default sites domain reads "localhost:0", which no browser can reach; once the
 * real port is known, the default follows it. A sites domain set explicitly is left alone.
 */
function withListeningPort(config: Config, requested: number, actual: number): Config {
  if (requested !== 0 || config.sitesDomain !== "localhost:0") return config;
  return { ...config, sitesDomain: `localhost:${actual}` };
}

function bareDomainPage(sitesDomain: string) {
  return {
    ...pages.unknownSite(sitesDomain),
    message: `This is Hoist's hosting gateway. Each site is served on its own host name: http://<repo>--<workspace>.${sitesDomain}/`,
  };
}


async function close(server: Server, backend: Backend): Promise<void> {
  await new Promise<void>((done) => {
    server.close(() => done());
    // Keep-alive sockets would hold close() open until they time out.
    server.closeAllConnections();
  });
  await backend.close();
}
