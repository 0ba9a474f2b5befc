import { fork } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { signAddonRequest } from "../../../sandbox/connect-jwt.ts";
import { serveChild } from "../child.ts";

/**
 * The load side of the add-on bench, in its own process (like Bitbucket, or the panel's browser,
 * it never shares the event loop with the Hoist it measures). One job per process:
 *   webhooks: sign every delivery exactly as the sandbox's WebhookDispatcher does (HS256, the
 *             installation's shared secret, qsh of POST + path), then send them all at once;
 *             time = request start → response headers;
 *   api:      GET the same URL `count` times one after another with the panel's session token;
 *             time = request start → whole body read (the panel needs the body).
 */

export type WebhookJob = {
  mode: "webhooks";
  url: string;
  baseUrl: string;
  clientKey: string;
  sharedSecret: string;
  /** A JSON file of `{ requestUuid, body }[]` (too big for the child's argv). */
  deliveriesFile: string;
};
export type ApiJob = { mode: "api"; url: string; token: string; warmup: number; count: number };
export type ClientJob = WebhookJob | ApiJob;
export type ClientResult = { ms: number[]; statuses: number[]; bytes: number; wallMs: number };

/** One POST on its own connection (a webhook sender does not pool); ms = start → response headers. */
function post(url: string, body: string, headers: Record<string, string>): Promise<{ ms: number; status: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(url, { method: "POST", agent: false, headers: { ...headers, "content-length": String(Buffer.byteLength(body)) }, timeout: 10_000 }, (res) => {
      const ms = performance.now() - t0;
      res.resume();
      res.on("end", () => resolve({ ms, status: res.statusCode ?? 0 }));
    });
    // Bitbucket gives up after 10 s: counted as status 0 at 10 s, not as an error of the bench.
    req.on("timeout", () => {
      req.destroy();
      resolve({ ms: performance.now() - t0, status: 0 });
    });
    req.on("error", (err) => (req.destroyed ? undefined : reject(err)));
    req.end(body);
  });
}

/**
 * The first bursts of a fresh process are slower in the client alone (JIT); Bitbucket's senders
 * are warm, so the same code first sends WARMUP_BURSTS bursts to an empty server in this process.
 */
const WARMUP_BURSTS = 2;

async function warmUp(count: number): Promise<void> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => void res.writeHead(204).end());
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/repo-push`;
  for (let i = 0; i < WARMUP_BURSTS; i++) await Promise.all(Array.from({ length: count }, () => post(url, "{}", { "content-type": "application/json" })));
  await new Promise<void>((done) => server.close(() => done()));
}

async function webhooks(job: WebhookJob): Promise<ClientResult> {
  const deliveries = JSON.parse(readFileSync(job.deliveriesFile, "utf8")) as { requestUuid: string; body: string }[];
  const signed = deliveries.map((d) => ({
    ...d,
    token: signAddonRequest({ clientKey: job.clientKey, sharedSecret: job.sharedSecret, method: "POST", url: job.url, baseUrl: job.baseUrl }),
  }));
  phase = "warm-up";
  await warmUp(signed.length);
  phase = "burst";
  const started = performance.now();
  const answers = await Promise.all(
    signed.map((d) =>
      post(job.url, d.body, {
        "content-type": "application/json",
        "user-agent": "Bitbucket-Webhooks/2.0",
        "x-event-key": "repo:push",
        "x-request-uuid": d.requestUuid,
        "x-attempt-number": "1",
        authorization: `JWT ${d.token}`,
      }),
    ),
  );
  return { ms: answers.map((a) => a.ms), statuses: answers.map((a) => a.status), bytes: 0, wallMs: performance.now() - started };
}

async function api(job: ApiJob): Promise<ClientResult> {
  const ms: number[] = [];
  const statuses: number[] = [];
  let bytes = 0;
  const started = performance.now();
  for (let i = 0; i < job.warmup + job.count; i++) {
    const t0 = performance.now();
    const res = await fetch(job.url, { headers: { authorization: `JWT ${job.token}` } });
    const body = await res.arrayBuffer();
    const took = performance.now() - t0;
    if (i < job.warmup) continue;
    ms.push(took);
    statuses.push(res.status);
    bytes = body.byteLength;
  }
  return { ms, statuses, bytes, wallMs: performance.now() - started };
}

let phase = "start";
process.on("beforeExit", () => process.stderr.write(`bench client: nothing left to wait for during "${phase}"\n`));

serveChild<ClientJob, ClientResult>(import.meta.url, (job) => (job.mode === "webhooks" ? webhooks(job) : api(job)));

/**
 * Runs one job in a client process. Resolves on the child's answer itself (not on its exit: on
 * a busy event loop here the exit can be seen before the IPC message is read).
 */
export function runClient(job: ClientJob): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [JSON.stringify(job)], {
      execArgv: ["--openssl-legacy-provider", "--no-warnings", "--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let answered = false;
    child.on("message", (m: { ok: true; result: ClientResult } | { ok: false; error: string }) => {
      answered = true;
      if (m.ok) resolve(m.result);
      else reject(new Error(m.error));
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      // Give a message still in the channel a moment to arrive.
      if (!answered) setTimeout(() => answered || reject(new Error(`bench client exited (${signal ?? code}) without an answer`)), 1000);
    });
  });
}
