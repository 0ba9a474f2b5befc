import { writeMarkedSection, type Machine } from "../report.ts";
import type { GatewayCell, GatewayResult } from "./index.ts";
import type { LoadResult } from "./load.ts";
import type { ServerName } from "./servers.ts";

/** The gateway section of BENCHMARKS.md, rewritten between its own markers. */

const MARKERS = ["<!-- bench:gateway:start -->", "<!-- bench:gateway:end -->"] as const;

export const GATEWAY_TARGETS = { smallVsStatic: 1.0, pageRps64: 10_000, p99Ms64: 20 };

const MB = 1024 * 1024;
const SERVER_LABEL: Record<ServerName, string> = { hoist: "Hoist gateway", sirv: "Node static (sirv)", nginx: "nginx" };
const REQUEST_LABEL: Record<string, string> = {
  page: "1.5 KB page `/`, no Accept-Encoding",
  "page-gzip": "1.5 KB page `/`, gzip accepted",
  "script-gzip": "200 KB script, gzip accepted",
  script: "200 KB script, no Accept-Encoding",
  image: "5 MB JPEG",
};
/** Hot small files: the ones the gateway serves from memory. */
const SMALL = ["page", "page-gzip", "script-gzip", "script"];

const met = (ok: boolean) => (ok ? "**met**" : "**not met**");
const rps = (n: number) => Math.round(n).toLocaleString("en");
const lat = (n: number) => (n === 0 ? "<1" : String(n));
const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;
const x = (n: number) => `${n.toFixed(2)}×`;
const kbSent = (bytes: number) => (bytes >= MB ? mb(bytes) : `${(bytes / 1024).toFixed(1)} KB`);

function cell(r: GatewayResult, request: string, server: ServerName, connections: number): GatewayCell | undefined {
  return r.cells.find((c) => c.request === request && c.server === server && c.connections === connections);
}

function shown(c: GatewayCell | undefined): [string, string] {
  if (!c) return ["–", "–"];
  const res: LoadResult = c.result;
  const bad = res.non2xx + res.errors + res.timeouts;
  return [`${rps(res.requestsPerSec)}${bad ? ` (${bad} failed)` : ""}`, `${lat(res.p50Ms)} / ${lat(res.p99Ms)}`];
}

export function gatewayTable(r: GatewayResult): string {
  const servers: ServerName[] = ["hoist", "sirv", "nginx"];
  const header = `| request (bytes sent by the gateway) | connections | ${servers.map((s) => `${SERVER_LABEL[s]} req/s | p50 / p99 ms`).join(" | ")} | gateway ÷ sirv |`;
  const rule = `|---|--:|${servers.map(() => "--:|--:|").join("")}--:|`;
  const rows: string[] = [];
  const requests = [...new Set(r.cells.map((c) => c.request))];
  for (const request of requests) {
    for (const connections of r.connections) {
      const hoist = cell(r, request, "hoist", connections);
      const sirv = cell(r, request, "sirv", connections);
      const ratio = hoist && sirv && sirv.result.requestsPerSec > 0 ? x(hoist.result.requestsPerSec / sirv.result.requestsPerSec) : "–";
      const label = `${REQUEST_LABEL[request] ?? request} (${hoist ? kbSent(hoist.wireBytes) : "?"})`;
      rows.push(`| ${label} | ${connections} | ${servers.flatMap((s) => shown(cell(r, request, s, connections))).join(" | ")} | ${ratio} |`);
    }
  }
  return [header, rule, ...rows].join("\n");
}

export function gatewayVerdicts(r: GatewayResult): string[] {
  const small = r.cells.filter((c) => c.server === "hoist" && SMALL.includes(c.request));
  const ratios = small.flatMap((h) => {
    const s = cell(r, h.request, "sirv", h.connections);
    return s && s.result.requestsPerSec > 0 ? [{ h, ratio: h.result.requestsPerSec / s.result.requestsPerSec }] : [];
  });
  const below = ratios.filter((q) => q.ratio < GATEWAY_TARGETS.smallVsStatic);
  const worst = ratios.reduce<(typeof ratios)[number] | undefined>((a, b) => (!a || b.ratio < a.ratio ? b : a), undefined);
  const top = Math.max(...r.connections);
  const pages = ["page", "page-gzip"].map((id) => cell(r, id, "hoist", top)).filter((c): c is GatewayCell => Boolean(c));
  const smallTop = small.filter((c) => c.connections === top);
  const worstP99 = smallTop.reduce((m, c) => Math.max(m, c.result.p99Ms), 0);
  const image = cell(r, "image", "hoist", top);
  const memoryCeiling = r.rss.beforeBytes + r.cache.budgetBytes;
  return [
    `- Hot small files (page and script, every encoding and concurrency) ≥ ${x(GATEWAY_TARGETS.smallVsStatic)} the Node static server's req/s — ${met(ratios.length > 0 && below.length === 0)} (${ratios.length - below.length} of ${ratios.length} cells; lowest ${worst ? `${x(worst.ratio)}: ${REQUEST_LABEL[worst.h.request]}, ${worst.h.connections} connections` : "–"}).`,
    `- 1.5 KB page ≥ ${rps(GATEWAY_TARGETS.pageRps64)} req/s at concurrency ${top} — ${met(pages.length > 0 && pages.every((c) => c.result.requestsPerSec >= GATEWAY_TARGETS.pageRps64))} (${pages.map((c) => `${rps(c.result.requestsPerSec)} ${c.request === "page" ? "without" : "with"} gzip`).join(", ")}).`,
    `- p99 ≤ ${GATEWAY_TARGETS.p99Ms64} ms at concurrency ${top}, hot small files — ${met(smallTop.length > 0 && worstP99 <= GATEWAY_TARGETS.p99Ms64)} (worst ${worstP99} ms${image ? `; the 5 MB image, streamed from S3, ${image.result.p99Ms} ms` : ""}).`,
    `- Gateway memory within the cache budget + a fixed base: peak RSS ≤ idle RSS before load + HOIST_GATEWAY_CACHE_BYTES (${mb(r.rss.beforeBytes)} + ${mb(r.cache.budgetBytes)} = ${mb(memoryCeiling)}) — ${met(r.rss.peakBytes <= memoryCeiling)} (peak ${mb(r.rss.peakBytes)}, after ${mb(r.rss.afterBytes)}).`,
  ];
}

function rssByRequest(r: GatewayResult): string {
  const requests = [...new Set(r.cells.map((c) => c.request))];
  return requests
    .map((request) => {
      const peaks = r.connections.map((n) => cell(r, request, "hoist", n)?.rssPeakBytes);
      return `${REQUEST_LABEL[request] ?? request} ${peaks.map((p) => (p === undefined ? "–" : (p / MB).toFixed(0))).join(" / ")} MB`;
    })
    .join("; ");
}

export function gatewaySection(r: GatewayResult, machine: Machine): string {
  const nginx = r.versions.nginx
    ? `${r.versions.nginx}, one worker, from disk with sendfile and \`gzip_static on\``
    : `not run: ${r.nginxSkipped ?? "not installed"}`;
  return [
    MARKERS[0],
    `_Generated by \`npm run bench -- --only gateway\` on ${r.date.slice(0, 10)}. Do not edit between these markers; edit the notes below._`,
    "",
    `Machine: ${machine.cpus} vCPU ${machine.cpuModel}, ${machine.ramGb} GB RAM, Node ${machine.node}, Linux; load average at start ${r.loadAtStart}, at end ${r.loadAtEnd} (1/5/15 min; the CPU is shared with other engineers' test runs). Load: autocannon ${r.versions.autocannon} in its own process (one thread, keep-alive, no pipelining) for ${r.seconds} s per cell, on the same cores as the server; servers take turns cell by cell. Hoist: the real server (\`runHoist\`, add-on + gateway, NODE_ENV=production, HOIST_BACKEND=aws) in its own process, the site deployed by \`hoist deploy\`'s path, S3 and DynamoDB = the bench process's s3rver + dynalite over loopback, blob cache at its defaults (${mb(r.cache.budgetBytes)}, files ≤ ${mb(r.cache.maxFileBytes)} stored). Node static: sirv ${r.versions.sirv} (\`gzip: true\`, precompressed \`.gz\` twins), own process. nginx: ${nginx}. Every server was checked to answer each request with the file's bytes before it was loaded.`,
    "",
    gatewayTable(r),
    "",
    `Gateway RSS (VmRSS): before ${mb(r.rss.beforeBytes)} (started, idle, nothing served); during, peak ${mb(r.rss.peakBytes)} (${r.rss.samples} samples, every 50 ms, over every cell of every server); after ${mb(r.rss.afterBytes)} (2 s after the last cell). Kernel high-water mark since start: ${mb(r.rss.highWaterBytes)}. Peak during the gateway's own cells, by request (connections ${r.connections.join(" / ")}): ${rssByRequest(r)}. p50 / p99 as autocannon reports them (1 ms resolution: "<1" is under a millisecond).`,
    "",
    "Targets:",
    "",
    ...gatewayVerdicts(r),
    MARKERS[1],
  ].join("\n");
}

export function printGateway(r: GatewayResult, machine: Machine): void {
  process.stdout.write(`\n${gatewaySection(r, machine)}\n\n`);
}

/** Rewrites the gateway section between its markers; adds a "## Gateway" section at the end if the file has none. */
export function writeGatewaySection(file: string, r: GatewayResult, machine: Machine): void {
  writeMarkedSection(file, MARKERS, gatewaySection(r, machine), "## Gateway");
}
