import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
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

/**
 * The HTTP front of a Hoist process, listening before the app is ready:
 *   /healthz  200 while the process lives (liveness);
 *   /readyz   200 once the app serves and its storage answers, 503 while starting or draining;
 *   anything else  503 with Retry-After until the app is ready, then the app.
 * Both probes answer on Hoist's own host names only: a site may have a page called /healthz.
 */
export type Front = {
  server: Server;
  port: number;
  serve(app: RequestListener, opts: { ready: () => Promise<boolean>; isSiteHost: (host: string | undefined) => boolean }): void;
  /** Stops accepting, lets requests in flight finish within `graceMs`, then cuts what is left. */
  close(graceMs: number): Promise<void>;
};

export async function openFront(port: number, host?: string): Promise<Front> {
  const server = createHttpServer();
  let app: RequestListener | undefined;
  let probes: { ready: () => Promise<boolean>; isSiteHost: (host: string | undefined) => boolean } | undefined;
  let draining = false;
  const plain = (res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...headers });
    res.end(`${text}\n`);
  };
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    if ((path === "/healthz" || path === "/readyz") && !probes?.isSiteHost(req.headers.host)) {
      if (path === "/healthz") return plain(res, 200, "ok");
      if (draining || !probes) return plain(res, 503, draining ? "stopping" : "starting", { "retry-after": "5" });
      void probes.ready().then(
        (ok) => plain(res, ok ? 200 : 503, ok ? "ready" : "storage is not answering", ok ? {} : { "retry-after": "5" }),
        () => plain(res, 503, "storage is not answering", { "retry-after": "5" }),
      );
      return;
    }
    if (!app || draining) {
      res.setHeader("connection", "close");
      return plain(res, 503, draining ? "Hoist is restarting; try again in a few seconds." : "Hoist is starting; try again in a few seconds.", { "retry-after": "5" });
    }
    app(req, res);
  });
  const bound = await listen(server, port, host);
  return {
    server,
    port: bound,
    serve(handler, opts) {
      probes = opts;
      app = handler;
    },
    async close(graceMs) {
      draining = true;
      const closed = new Promise<void>((done) => server.close(() => done()));
      // Keep-alive connections turn idle as their last response ends: close each as it does.
      const idle = setInterval(() => server.closeIdleConnections(), 100);
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearInterval(idle);
      clearTimeout(timer);
    },
  };
}

/** A port free on loopback right now (local mode picks Hoist's before the sandbox must name it). */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once("error", fail);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => done(port));
    });
  });
}
