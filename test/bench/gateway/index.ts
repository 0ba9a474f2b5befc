import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { EMBEDDED_CREDENTIALS } from "../../../core/aws.ts";
import { loadConfig, processEnvForWorkers } from "../../../core/config.ts";
import { createLogger } from "../../../core/log.ts";
import { parseSiteId, stageHostLabel } from "../../../core/site.ts";
import { openBackend } from "../../../server/backend.ts";
import { deployArchive } from "../../../server/cli/deploy.ts";
import { readPeakRssBytes, readRssBytes, sampleRss } from "../measure-rss.ts";
import { loadNow } from "../report.ts";
import { checkAnswer, runLoad, type LoadResult } from "./load.ts";
import { findNginx, nginxVersion, startHoist, startNginx, startSirv, type RunningServer, type ServerName } from "./servers.ts";
import { writeBenchSite, type SiteFile } from "./site.ts";

/**
 * `npm run bench -- --only gateway`: how fast Hoist's hosting gateway serves a deployed site,
 * next to a plain Node static server (sirv) and nginx serving the same files from disk.
 *
 * One run: write the site (site.ts), deploy it through the real path (`hoist deploy`'s
 * deployArchive: staged archive → deployer in its Lambda-like worker → S3 + DynamoDB), then start
 * the three servers, each in its own process, and load each with autocannon (its own process) for
 * `seconds` per cell: every request kind × every concurrency × every server, the servers taking
 * turns cell by cell so that a change in the machine's load hits all three alike. The gateway is
 * asked with the site's Host header on 127.0.0.1; its resident memory is read before the first
 * request, sampled during the load and read again after it.
 */

export const CONNECTIONS = [1, 16, 64];
export const DEFAULT_SECONDS = 10;
const WARMUP_SECONDS = 1;
const SITE = "bench/gateway";
const SITES_DOMAIN = "sites.hoist-bench.test";

export type RequestKind = { id: string; file: SiteFile["key"]; gzip: boolean };
export const REQUESTS: RequestKind[] = [
  { id: "page", file: "page", gzip: false },
  { id: "page-gzip", file: "page", gzip: true },
  { id: "script-gzip", file: "script", gzip: true },
  { id: "script", file: "script", gzip: false },
  { id: "image", file: "image", gzip: false },
];

export type GatewayCell = {
  request: string;
  server: ServerName;
  connections: number;
  wireBytes: number;
  result: LoadResult;
  /** Hoist's cells: the gateway's highest sampled VmRSS during this cell. */
  rssPeakBytes?: number;
};

export type GatewayResult = {
  date: string;
  loadAtStart: string;
  loadAtEnd: string;
  seconds: number;
  connections: number[];
  host: string;
  files: SiteFile[];
  servers: ServerName[];
  versions: { autocannon: string; sirv: string; nginx?: string };
  /** Why nginx did not run, when it did not. */
  nginxSkipped?: string;
  /** The gateway's cache settings in this run (the defaults). */
  cache: { budgetBytes: number; maxFileBytes: number };
  deploy: { files: number; storedBytes: number; durationMs: number };
  rss: { beforeBytes: number; peakBytes: number; afterBytes: number; highWaterBytes: number; samples: number };
  cells: GatewayCell[];
};

const packageVersion = (name: string) => (JSON.parse(readFileSync(resolve("node_modules", name, "package.json"), "utf8")) as { version: string }).version;
export async function benchGateway(root: string, opts: { seconds?: number; log: (line: string) => void }): Promise<GatewayResult> {
  const seconds = opts.seconds ?? DEFAULT_SECONDS;
  const log = (line: string) => opts.log(`gateway: ${line}`);
  const loadAtStart = loadNow();
  const dataDir = join(root, "data", "gateway");
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const site = await writeBenchSite(root);
  log(`site written: ${site.files.map((f) => `${f.path} ${f.bytes} B${f.gzipBytes ? ` (gzip ${f.gzipBytes} B)` : ""}`).join(", ")}`);

  const config = loadConfig({ HOIST_BACKEND: "embedded", HOIST_DATA_DIR: join(dataDir, "backend"), HOIST_LOG_LEVEL: "warn", HOIST_SITES_DOMAIN: SITES_DOMAIN });
  const logger = createLogger({ level: "warn", name: "bench", stderr: true });
  log("deploying through the real path (stage + deployer worker)");
  const deployed = await deployArchive(config, logger, { archive: site.archive, site: SITE, branch: "main", timeoutSeconds: 120 });
  if (deployed.status !== "succeeded") throw new Error(`the bench site's deploy ended ${deployed.status}: ${deployed.reason} ${deployed.message}`);
  const host = `${stageHostLabel(parseSiteId(SITE))}.${SITES_DOMAIN}`;

  // The bench process now hosts S3 and DynamoDB; Hoist's server reaches them as a remote service.
  const backend = await openBackend(config, logger, { exclusive: true });
  const servers: RunningServer[] = [];
  const cache = loadConfig({}).gatewayCache;
  try {
    const hoistEnv: NodeJS.ProcessEnv = {
      ...processEnvForWorkers(),
      NODE_ENV: "production",
      PORT: "0",
      HOIST_LISTEN_HOST: "127.0.0.1",
      HOIST_BACKEND: "aws",
      HOIST_DATA_DIR: join(dataDir, "server"),
      HOIST_BASE_URL: "https://hoist.hoist-bench.test",
      HOIST_SITES_DOMAIN: SITES_DOMAIN,
      HOIST_SECRET_KEY: randomBytes(32).toString("base64"),
      HOIST_LOG_LEVEL: "warn",
      AWS_REGION: config.region,
      AWS_ENDPOINT_URL_S3: backend.config.endpoints.s3,
      AWS_ENDPOINT_URL_DYNAMODB: backend.config.endpoints.dynamodb,
      AWS_ACCESS_KEY_ID: EMBEDDED_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: EMBEDDED_CREDENTIALS.secretAccessKey,
    };
    const hoist = await startHoist(hoistEnv);
    servers.push(hoist);
    // Idle, nothing served yet: the base the cache and the requests in flight add to.
    await new Promise((r) => setTimeout(r, 1000));
    const beforeBytes = readRssBytes(hoist.pid) ?? Number.NaN;
    servers.push(await startSirv(site.dir));
    const nginxBin = findNginx();
    let nginxSkipped: string | undefined;
    let nginx: string | undefined;
    if (nginxBin) {
      nginx = nginxVersion(nginxBin);
      servers.push(await startNginx(nginxBin, site.dir, join(root, "gateway", "nginx")));
    } else {
      nginxSkipped = "nginx is not installed (`command -v nginx` found nothing)";
      log(`${nginxSkipped}: skipped`);
    }
    log(`servers: ${servers.map((s) => `${s.name} :${s.port} (pid ${s.pid})`).join(", ")}; host ${host}`);

    const file = (key: SiteFile["key"]) => site.files.find((f) => f.key === key)!;
    const wire = new Map<string, number>();
    for (const server of servers) {
      for (const kind of REQUESTS) {
        const f = file(kind.file);
        const checked = await checkAnswer(server.port, host, f.url, kind.gzip, f.sha256);
        wire.set(`${server.name}:${kind.id}`, checked.wireBytes);
      }
      // Warm-up: JIT, the gateway's live pointer, manifest and blob cache, the OS page cache.
      for (const kind of REQUESTS)
        await runLoad({ port: server.port, host, path: file(kind.file).url, gzip: kind.gzip, connections: 16, seconds: WARMUP_SECONDS });
    }
    log(`every server answers every request with the file's bytes; warmed up (${WARMUP_SECONDS} s per request kind)`);

    const rss = sampleRss(hoist.pid, 50);
    const cells: GatewayCell[] = [];
    let during: { peakBytes: number; samples: number };
    try {
      for (const kind of REQUESTS) {
        for (const connections of CONNECTIONS) {
          for (const server of servers) {
            const cellRss = server === hoist ? sampleRss(hoist.pid, 50) : undefined;
            const result = await runLoad({ port: server.port, host, path: file(kind.file).url, gzip: kind.gzip, connections, seconds });
            const rssPeakBytes = cellRss?.stop().peakBytes;
            cells.push({ request: kind.id, server: server.name, connections, wireBytes: wire.get(`${server.name}:${kind.id}`)!, result, rssPeakBytes });
            const bad = result.non2xx + result.errors + result.timeouts;
            log(
              `${kind.id} c=${connections} ${server.name}: ${Math.round(result.requestsPerSec)} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms${bad ? ` (${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts)` : ""}`,
            );
          }
        }
      }
    } finally {
      during = rss.stop();
    }
    await new Promise((r) => setTimeout(r, 2000));
    const afterBytes = readRssBytes(hoist.pid) ?? Number.NaN;
    const highWaterBytes = readPeakRssBytes(hoist.pid) ?? Number.NaN;
    return {
      date: new Date().toISOString(),
      loadAtStart,
      loadAtEnd: loadNow(),
      seconds,
      connections: CONNECTIONS,
      host,
      files: site.files,
      servers: servers.map((s) => s.name),
      versions: { autocannon: packageVersion("autocannon"), sirv: packageVersion("sirv"), nginx },
      nginxSkipped,
      cache,
      deploy: { files: deployed.files, storedBytes: deployed.storedBytes, durationMs: deployed.durationMs },
      rss: { beforeBytes, peakBytes: during.peakBytes, afterBytes, highWaterBytes, samples: during.samples },
      cells,
    };
  } finally {
    for (const server of servers.reverse()) await server.stop().catch((err: Error) => log(`stopping ${server.name}: ${err.message}`));
    await backend.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
