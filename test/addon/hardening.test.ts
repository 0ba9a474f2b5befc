import { statSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HEADERS_TIMEOUT_MS } from "../../server/listen.ts";
import { openPanel, startStack, type Stack } from "./harness.ts";

/** What the server does for every tenant at once: deadlines, where it listens, what it keeps private, how its pages may be framed. */
describe("server hardening", () => {
  let stack: Stack;
  let acme: { clientKey: string; sharedSecret: string };

  beforeAll(async () => {
    stack = await startStack();
    acme = await stack.install("acme");
  });
  afterAll(async () => stack?.close());

  it("closes a connection whose headers never finish (slow-loris) instead of holding it", async () => {
    const port = new URL(stack.hoist.url).port;
    const socket = connect(Number(port), "127.0.0.1");
    let answer = "";
    socket.on("data", (chunk) => {
      answer += chunk.toString();
    });
    socket.write("GET /atlassian-connect.json HTTP/1.1\r\nHost: localhost\r\nX-Slow: ");
    // The test's own timeout (60 s) is far past Hoist's deadline; Node's default would hold the socket longer.
    await new Promise<void>((done) => socket.once("close", () => done()));
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(HEADERS_TIMEOUT_MS).toBeLessThan(60_000);
  });

  it("listens on loopback only in local mode", () => {
    expect(stack.hoist.listening.address).toBe("127.0.0.1");
  });

  it("keeps the data folder, which holds shared secrets, to its owner", () => {
    const mode = statSync(stack.hoist.config.dataDir).mode & 0o777;
    expect(mode).toBe(0o700);
    expect(statSync(join(stack.hoist.config.dataDir, "s3")).isDirectory()).toBe(true);
  });

  it("lets only Bitbucket frame the panel, and leaks no token in a Referer", async () => {
    const path = `/panel?repoPath=acme%2Fsite`;
    const signed = await openPanel(stack, acme, "acme", "site");
    expect(signed.status).toBe(200);
    const res = await fetch(`${stack.hoist.url}${path}`);
    expect(res.status).toBe(401);
    for (const headers of [res.headers, signed.headers]) {
      expect(headers.get("content-security-policy")).toMatch(/frame-ancestors http:\/\/127\.0\.0\.1:\* /);
      expect(headers.get("x-content-type-options")).toBe("nosniff");
      expect(headers.get("referrer-policy")).toBe("no-referrer");
    }
  });
});
