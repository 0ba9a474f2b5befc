import { node22 } from "../support/tools.ts";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { create as createTar } from "tar";
import { ulid } from "ulid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMBEDDED_CREDENTIALS } from "../../core/aws.ts";
import { configToEnv, loadConfig } from "../../core/config.ts";
import { DeployRecords } from "../../core/deploy-records.ts";
import { createLogger } from "../../core/log.ts";
import { manifestKey } from "../../core/manifest.ts";
import { siteId } from "../../core/site.ts";
import { stagingKey } from "../../core/staging.ts";
import { type Backend, openBackend } from "../../server/backend.ts";
import { HANDLER } from "../../server/cli/release/bundle.ts";
import { buildPackage, writePackage } from "../../server/cli/release/package.ts";
import { s3Event } from "../../server/local/staging-trigger.ts";

// The packaged zip, unzipped and run the way Lambda runs it: a fresh Node process that loads
// the entry file named by the Handler setting, with the SDK reachable only through NODE_PATH
// (where the nodejs22.x runtime keeps its copy), on a real S3 event, against the embedded backend.

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, "../..");
const RUNTIME_SCRIPT = join(import.meta.dirname, "fake-lambda-runtime.mjs");
const site = { workspace: "acme", repo: "website" };

let dir: string;
let backend: Backend;
let records: DeployRecords;
let archive: Buffer;
/** Stands in for /var/runtime/node_modules: the SDK and nothing else. */
let runtimeModules: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "hoist-bundle-"));
  runtimeModules = join(dir, "runtime", "node_modules");
  mkdirSync(runtimeModules, { recursive: true });
  symlinkSync(join(REPO, "node_modules", "@aws-sdk"), join(runtimeModules, "@aws-sdk"));

  const config = loadConfig({ HOIST_BACKEND: "embedded", HOIST_DATA_DIR: join(dir, "data"), HOIST_SITES_DOMAIN: "sites.test" });
  backend = await openBackend(config, createLogger({ level: "silent" }));
  records = new DeployRecords(backend.clients.db, backend.config.tables.deploys);
  archive = await siteArchive(join(dir, "src"));
});

afterAll(async () => {
  await backend?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A Bitbucket-shaped archive: one top folder named <workspace>-<repo>-<12-hex commit>. */
async function siteArchive(src: string): Promise<Buffer> {
  const top = "acme-website-0123456789ab";
  mkdirSync(join(src, top, "css"), { recursive: true });
  writeFileSync(join(src, top, "index.html"), "<!doctype html><title>Hoist</title><h1>It works</h1>\n");
  writeFileSync(join(src, top, "css", "site.css"), "h1 { color: teal; }\n".repeat(50));
  const chunks: Buffer[] = [];
  for await (const chunk of createTar({ gzip: true, cwd: src, portable: true }, [top])) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function unpack(name: string, bundleSdk: boolean): Promise<string> {
  const zipPath = join(dir, `${name}.zip`);
  writePackage(await buildPackage({ bundleSdk }), zipPath);
  const task = join(dir, name);
  await run("unzip", ["-q", zipPath, "-d", task]);
  return task;
}

/** Stages an archive for a queued deploy and returns the S3 event S3 would send for it. */
async function stageDeploy(): Promise<{ deployId: string; event: unknown }> {
  const deployId = ulid();
  const key = stagingKey(site, deployId);
  await records.createQueued({
    siteId: siteId(site),
    deployId,
    stage: "production",
    branch: "main",
    commit: "0123456789ab".padEnd(40, "0"),
    trigger: "cli",
    stagingKey: key,
  });
  await backend.clients.s3.send(new PutObjectCommand({ Bucket: backend.config.buckets.staging, Key: key, Body: archive, ContentLength: archive.length }));
  return {
    deployId,
    event: s3Event({ eventName: "ObjectCreated:Put", bucket: backend.config.buckets.staging, key, size: archive.length }, { encodeKey: true }),
  };
}

type Invocation = {
  ok: boolean;
  result?: { results: { outcome: string; record?: { status: string; manifestKey?: string } }[] };
  error?: { name: string; message: string };
};


async function invoke(task: string, event: unknown, opts: { nodePath?: string; node?: string }): Promise<Invocation> {
  const eventFile = join(dir, `event-${ulid()}.json`);
  const resultFile = `${eventFile}.result`;
  writeFileSync(eventFile, JSON.stringify(event));
  const env: Record<string, string> = {
    ...configToEnv(backend.config),
    AWS_ACCESS_KEY_ID: EMBEDDED_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMBEDDED_CREDENTIALS.secretAccessKey,
    AWS_REGION: "us-east-1",
    LAMBDA_TASK_ROOT: task,
    _HANDLER: HANDLER,
    AWS_LAMBDA_FUNCTION_TIMEOUT: "60",
    PATH: process.env.PATH ?? "",
  };
  if (opts.nodePath) env.NODE_PATH = opts.nodePath;
  await run(opts.node ?? process.execPath, ["--no-warnings", RUNTIME_SCRIPT, eventFile, resultFile], { cwd: task, env, timeout: 30_000 });
  return JSON.parse(readFileSync(resultFile, "utf8")) as Invocation;
}

async function expectDeployed(deployId: string, invocation: Invocation): Promise<void> {
  expect(invocation.error).toBeUndefined();
  expect(invocation.result?.results[0]).toMatchObject({ outcome: "finished", record: { status: "succeeded" } });
  const record = await records.get(siteId(site), deployId);
  expect(record?.status).toBe("succeeded");
  expect(record?.stats?.files).toBe(2);
  expect(record?.manifestKey).toBe(manifestKey(siteId(site), deployId));
  const manifest = await backend.clients.s3.send(new HeadObjectCommand({ Bucket: backend.config.buckets.sites, Key: record!.manifestKey! }));
  expect(manifest.ContentLength).toBeGreaterThan(0);
}

describe("the packaged deployer, run as Lambda runs it", () => {
  it("default package (SDK from the runtime) deploys a staged archive", async () => {
    const task = await unpack("external-sdk", false);
    const { deployId, event } = await stageDeploy();

    const invocation = await invoke(task, event, { nodePath: runtimeModules });

    await expectDeployed(deployId, invocation);
  });

  it("default package deploys on Node 22, the runtime it ships to (nodejs22.x)", async () => {
    const NODE_22 = node22();
    const { stdout } = await run(NODE_22, ["--version"]);
    expect(stdout).toMatch(/^v22\./);
    const task = join(dir, "external-sdk");
    const { deployId, event } = await stageDeploy();

    const invocation = await invoke(task, event, { nodePath: runtimeModules, node: NODE_22 });

    await expectDeployed(deployId, invocation);
  });

  it("default package really leaves the SDK out: without the runtime's copy it cannot load", async () => {
    const task = join(dir, "external-sdk");
    const { event } = await stageDeploy();

    const invocation = await invoke(task, event, {});

    expect(invocation.ok).toBe(false);
    expect(invocation.error?.message).toMatch(/Cannot find module '@aws-sdk\//);
  });

  it("--bundle-sdk package needs nothing from the runtime", async () => {
    const task = await unpack("bundled-sdk", true);
    const { deployId, event } = await stageDeploy();

    const invocation = await invoke(task, event, {});

    await expectDeployed(deployId, invocation);
  });
});
