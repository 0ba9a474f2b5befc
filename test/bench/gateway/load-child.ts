import { createRequire } from "node:module";
import { serveChild } from "../child.ts";

/**
 * autocannon in its own process (forked by load.ts for each cell), so the load generator never
 * shares an event loop with a server it measures. One job in, autocannon's result out.
 *
 * One change to autocannon: it appends every response body to a JavaScript string
 * (PipelinedRequestsQueue#addBody, `req.body += data`, mcollina/autocannon#485), i.e. decodes it
 * as UTF-8. For binary bodies — gzip, JPEG — that decoding, not the server, sets the pace (the
 * 5 MB JPEG: ~30 MB/s whatever the server). This process discards bodies instead, as wrk does;
 * response bytes are still counted (from the socket, before parsing), and nothing here reads a
 * body (no expectBody, no onResponse).
 */

const require = createRequire(import.meta.url);
const autocannon = require("autocannon");
const PipelinedRequestsQueue = require("autocannon/lib/pipelinedRequestsQueue.js");
PipelinedRequestsQueue.prototype.addBody = function discardBody(): void {};

export type AutocannonJob = { url: string; headers: Record<string, string>; connections: number; seconds: number };

serveChild(import.meta.url, async (job: AutocannonJob) => {
  const result = await autocannon({ url: job.url, headers: job.headers, connections: job.connections, duration: job.seconds, pipelining: 1 });
  return result as unknown;
});
