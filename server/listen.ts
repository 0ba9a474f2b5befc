import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Deadlines for a request to arrive: its headers within HEADERS_TIMEOUT_MS, the whole of it within
 * REQUEST_TIMEOUT_MS (webhook and API bodies are small). A client that trickles bytes (slow-loris)
 * is answered 408 and its socket closed, instead of holding a connection for minutes.
 */
export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 30_000;

/** An HTTP server with Hoist's deadlines; Node checks them every second. */
export function createHttpServer(): Server {
  return createServer({ headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 1000 });
}

/**
 * Starts `server` on `port` (0 = any free one) of `host` (undefined = every interface) and
 * resolves with the port it got.
 */
export function listen(server: Server, port: number, host?: string): Promise<number> {
  return new Promise((done, fail) => {
    server.once("error", fail);
    server.listen(port, host, () => {
      server.off("error", fail);
      done((server.address() as AddressInfo).port);
    });
  });
}
