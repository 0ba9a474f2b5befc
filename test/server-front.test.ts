import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { openFront, type Front } from "../server/listen.ts";

/** The HTTP front of a Hoist process: what load balancers and clients get while it starts and stops. */
describe("starting and stopping", () => {
  let front: Front | undefined;
  afterEach(async () => front?.close(0));

  const get = (path: string, host = "localhost") =>
    new Promise<{ status: number; retryAfter?: string; body: string }>((done, fail) => {
      const req = request({ host: "127.0.0.1", port: front!.port, path, headers: { host } }, (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => done({ status: res.statusCode ?? 0, retryAfter: res.headers["retry-after"] as string | undefined, body }));
      });
      req.on("error", fail);
      req.end();
    });

  it("answers 503 with Retry-After until ready, /healthz at once, /readyz once storage answers", async () => {
    front = await openFront(0, "127.0.0.1");
    expect(await get("/webhooks/repo-push")).toMatchObject({ status: 503, retryAfter: "5" });
    expect((await get("/healthz")).status).toBe(200);
    expect((await get("/readyz")).status).toBe(503);
    let storageUp = false;
    front.serve((_req, res) => void res.end("app"), { ready: async () => storageUp, isSiteHost: (host) => Boolean(host?.endsWith(".sites.test")) });
    expect(await get("/anything")).toMatchObject({ status: 200, body: "app" });
    expect((await get("/readyz")).status).toBe(503);
    storageUp = true;
    expect((await get("/readyz")).status).toBe(200);
    // A site may have its own /healthz: the probe answers only on Hoist's own host names.
    expect(await get("/healthz", "blog--acme.sites.test")).toMatchObject({ status: 200, body: "app" });
  });

  it("on stop, lets a request in flight finish, then refuses new connections", async () => {
    front = await openFront(0, "127.0.0.1");
    let release!: () => void;
    const held = new Promise<void>((done) => (release = done));
    let arrived!: () => void;
    const inFlight = new Promise<void>((done) => (arrived = done));
    let seen = 0;
    front.serve(
      (_req, res) => {
        seen += 1;
        arrived();
        void held.then(() => res.end("finished"));
      },
      { ready: async () => true, isSiteHost: () => false },
    );
    const slow = get("/slow");
    await inFlight;
    const closed = front.close(30_000);
    release();
    expect(await slow).toMatchObject({ status: 200, body: "finished" });
    await closed;
    // Nothing listens any more: a new request is refused and never reaches the app. (Not asserted
    // as ECONNREFUSED: another test running in parallel may be handed the freed port.)
    expect(front.server.listening).toBe(false);
    await get("/after").catch(() => undefined);
    expect(seen).toBe(1);
    front = undefined;
  });
});
