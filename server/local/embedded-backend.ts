import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { repairS3Store } from "./s3-store-repair.ts";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { EventEmitter } from "node:events";
import S3rver from "s3rver";
import dynalite from "dynalite";
import type { Config } from "../../core/config.ts";
import type { Logger } from "../../core/log.ts";

/**
 * The embedded backend: s3rver (S3) and dynalite (DynamoDB) in this process, data under
 * `<dataDir>/s3` and `<dataDir>/dynamodb`, on loopback ports chosen at start.
 *
 * LevelDB allows one process per folder, so the process that starts the backend writes
 * `<dataDir>/backend.json` with its endpoints; a second process (the CLI while `npm start`
 * runs) finds that file, checks the owner is alive, and talks to the same servers over HTTP
 * instead of opening the folder twice.
 */

export type S3ObjectCreated = { eventName: string; bucket: string; key: string; size: number };

export type EmbeddedBackend = {
  endpoints: { s3: string; dynamodb: string };
  /** True when this process started the servers (and so receives their S3 events). */
  owner: boolean;
  /** Borrowed from an owner that runs the deployer itself, and serves sites on this domain. */
  ownerDeploys?: boolean;
  ownerSitesDomain?: string;
  /** The owner tells borrowers what it does (backend.json). */
  announce(facts: { deploys: boolean; sitesDomain: string }): void;
  /** S3 ObjectCreated notifications; only the owner receives them. */
  events: EventEmitter<{ objectCreated: [S3ObjectCreated] }>;
  close(): Promise<void>;
};

/**
 * `<dataDir>/backend.json`. `deploys`: the owner runs the deployer for what is staged (npm start
 * does, `hoist serve` does not), so a borrower must not run it too; `sitesDomain`: where the
 * owner serves sites, so a borrower names the URL that really answers.
 */
type InstanceFile = { pid: number; s3: string; dynamodb: string; deploys?: boolean; sitesDomain?: string };

export type EmbeddedOptions = {
  /** Delays every object write of the embedded S3 (HOIST_TEST_SLOW_STORAGE_MS): slow storage, for tests. */
  slowWritesMs?: number;
};

export async function openEmbeddedBackend(dataDir: string, logger: Logger, opts: EmbeddedOptions = {}): Promise<EmbeddedBackend> {
  const dir = resolve(dataDir);
  // The data folder holds shared secrets (ACE's store) and every site: this user's only.
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const running = await findRunningInstance(dir);
  if (running) {
    logger.debug({ pid: running.pid }, "using the embedded backend of a running Hoist");
    return {
      endpoints: { s3: running.s3, dynamodb: running.dynamodb },
      owner: false,
      ownerDeploys: running.deploys ?? false,
      ownerSitesDomain: running.sitesDomain,
      announce: () => {},
      events: new EventEmitter(),
      close: async () => {},
    };
  }
  return startEmbeddedBackend(dir, logger, opts);
}

async function startEmbeddedBackend(dir: string, logger: Logger, opts: EmbeddedOptions): Promise<EmbeddedBackend> {
  mkdirSync(join(dir, "s3"), { recursive: true });
  // A session file that is still there means the last owner did not close: repair what a kill can leave.
  const sessionFile = join(dir, "session.json");
  const unclean = readSession(sessionFile);
  const repaired = await repairS3Store(join(dir, "s3"), join(dir, "quarantine"), unclean);
  const count = repaired.metadataRewritten.length + repaired.removed.length + repaired.quarantined.length;
  if (count > 0) {
    logger.warn(
      { metadataRewritten: repaired.metadataRewritten.length, removed: repaired.removed.length, quarantined: repaired.quarantined },
      `embedded S3: repaired ${count} file(s) a stopped process left damaged` +
        (repaired.quarantined.length > 0 ? `; cut-short objects moved to ${join(dir, "quarantine")} (a deploy uploads them again)` : ""),
    );
  }
  writeFileSync(sessionFile, JSON.stringify({ startedAt: Date.now(), pid: process.pid }));
  const s3 = new S3rver({ address: "127.0.0.1", port: 0, directory: join(dir, "s3"), silent: true, vhostBuckets: false });
  if (opts.slowWritesMs) delayWrites(s3, opts.slowWritesMs);
  const s3Address = (await s3.run()) as AddressInfo;
  const events = new EventEmitter<{ objectCreated: [S3ObjectCreated] }>();
  s3.on("event", (event: { Records: { eventName: string; s3: { bucket: { name: string }; object: { key: string; size: number } } }[] }) => {
    for (const record of event.Records) {
      if (!record.eventName.startsWith("ObjectCreated")) continue;
      events.emit("objectCreated", {
        eventName: record.eventName,
        bucket: record.s3.bucket.name,
        key: record.s3.object.key,
        size: record.s3.object.size,
      });
    }
  });

  const db = dynalite({ path: join(dir, "dynamodb"), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }) as Server;
  await new Promise<void>((done, fail) => {
    db.once("error", fail);
    db.listen(0, "127.0.0.1", () => done());
  });
  const dbAddress = db.address() as AddressInfo;

  const endpoints = { s3: `http://127.0.0.1:${s3Address.port}`, dynamodb: `http://127.0.0.1:${dbAddress.port}` };
  const instanceFile = join(dir, "backend.json");
  writeFileSync(instanceFile, JSON.stringify({ pid: process.pid, ...endpoints } satisfies InstanceFile));
  logger.debug({ ...endpoints, dir }, "embedded backend started");

  return {
    endpoints,
    owner: true,
    announce: (facts) => writeFileSync(instanceFile, JSON.stringify({ pid: process.pid, ...endpoints, ...facts } satisfies InstanceFile)),
    events,
    close: async () => {
      rmSync(instanceFile, { force: true });
      await s3.close();
      await new Promise<void>((done) => db.close(() => done()));
      rmSync(sessionFile, { force: true });
    },
  };
}

function readSession(file: string): number | undefined {
  try {
    const startedAt = (JSON.parse(readFileSync(file, "utf8")) as { startedAt?: unknown }).startedAt;
    return typeof startedAt === "number" ? startedAt : 0;
  } catch (err) {
    // Missing: the last owner closed cleanly. Unreadable: it died while writing it.
    return (err as NodeJS.ErrnoException).code === "ENOENT" ? undefined : 0;
  }
}

/** Slow storage on demand (tests): every PUT waits before s3rver handles it. */
function delayWrites(s3: InstanceType<typeof S3rver>, ms: number): void {
  (s3 as unknown as { middleware: ((ctx: { method: string }, next: () => Promise<void>) => Promise<void>)[] }).middleware.unshift(async (ctx, next) => {
    if (ctx.method === "PUT") await new Promise((done) => setTimeout(done, ms));
    await next();
  });
}

async function findRunningInstance(dir: string): Promise<InstanceFile | null> {
  let instance: InstanceFile;
  try {
    instance = JSON.parse(readFileSync(join(dir, "backend.json"), "utf8")) as InstanceFile;
  } catch {
    return null;
  }
  if (instance.pid === process.pid || !isAlive(instance.pid)) return null;
  try {
    // Any HTTP answer means the servers are up; a refused connection means a stale file.
    await fetch(instance.dynamodb, { method: "GET", signal: AbortSignal.timeout(2000) });
    return instance;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The config the rest of Hoist sees once the embedded servers are up: the AWS code path, pointed at them. */
export function withEmbeddedEndpoints(config: Config, backend: EmbeddedBackend): Config {
  return { ...config, endpoints: { s3: backend.endpoints.s3, dynamodb: backend.endpoints.dynamodb } };
}
