import { fork } from "node:child_process";
import { createHash } from "node:crypto";
import { request } from "node:http";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import type { AutocannonJob } from "./load-child.ts";

/**
 * The load side of the gateway bench: autocannon, in its own process for each cell
 * (load-child.ts, so the load generator never shares an event loop with a server it measures),
 * and a one-request check that a server answers a cell's request with the right bytes before it
 * is loaded.
 */

const LOAD_CHILD = fileURLToPath(new URL("./load-child.ts", import.meta.url));

export type LoadJob = { port: number; host: string; path: string; gzip: boolean; connections: number; seconds: number };
export type LoadResult = {
  requestsPerSec: number;
  /** autocannon's histogram has 1 ms resolution: 0 means under 1 ms. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  bytesPerSec: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
};

type AutocannonJson = {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; max: number };
  throughput: { average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
};

export async function runLoad(job: LoadJob): Promise<LoadResult> {
  const headers: Record<string, string> = { host: job.host, ...(job.gzip ? { "accept-encoding": "gzip" } : {}) };
  const r = await runLoadChild({ url: `http://127.0.0.1:${job.port}${job.path}`, headers, connections: job.connections, seconds: job.seconds });
  return {
    requestsPerSec: r.requests.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    bytesPerSec: r.throughput.average,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
  };
}

/**
 * Forks load-child.ts for one job. Resolves on its answer itself, not on its exit: while the
 * bench process is busy (it hosts s3rver, which streams the 5 MB file), the exit can be seen
 * before the IPC message is read.
 */
function runLoadChild(job: AutocannonJob): Promise<AutocannonJson> {
  return new Promise((resolve, reject) => {
    const child = fork(LOAD_CHILD, [JSON.stringify(job)], { execArgv: ["--no-warnings", "--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    let answered = false;
    child.on("message", (m: { ok: true; result: AutocannonJson } | { ok: false; error: string }) => {
      answered = true;
      if (m.ok) resolve(m.result);
      else reject(new Error(m.error));
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (!answered) setTimeout(() => answered || reject(new Error(`the load generator exited (${signal ?? code}) without an answer`)), 1000);
    });
  });
}

export type Checked = { status: number; encoding: string | undefined; wireBytes: number };

/** One GET as a cell sends it; throws unless it is a 200 whose (decoded) body is the file. */
export function checkAnswer(port: number, host: string, path: string, gzip: boolean, sha256: string): Promise<Checked> {
  return new Promise((done, fail) => {
    const headers: Record<string, string> = { host, ...(gzip ? { "accept-encoding": "gzip" } : {}) };
    const req = request({ host: "127.0.0.1", port, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const wire = Buffer.concat(chunks);
        const encoding = res.headers["content-encoding"];
        const what = `GET ${path} (Host ${host}${gzip ? ", Accept-Encoding: gzip" : ""}) on port ${port}`;
        if (res.statusCode !== 200) return fail(new Error(`${what} answered ${res.statusCode}`));
        if (encoding && encoding !== "gzip") return fail(new Error(`${what} answered Content-Encoding ${encoding}`));
        if (encoding === "gzip" && !gzip) return fail(new Error(`${what} answered gzip to a client that did not accept it`));
        const body = encoding === "gzip" ? gunzipSync(wire) : wire;
        if (createHash("sha256").update(body).digest("hex") !== sha256) return fail(new Error(`${what} answered other bytes than the file`));
        done({ status: res.statusCode, encoding, wireBytes: wire.length });
      });
    });
    req.on("error", fail);
    req.end();
  });
}
