import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import dynalite from "dynalite";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClients, type Clients } from "./aws.ts";
import { loadConfig, type Config } from "./config.ts";
import { DeployRecords } from "./deploy-records.ts";
import { blobKey, manifestKey, readManifest, writeManifest, type Manifest } from "./manifest.ts";
import { ensureStorage } from "./setup.ts";
import { legacyStageHostLabel, stageHostLabel } from "./site.ts";
import { Sites } from "./sites.ts";
import { PutCommand } from "@aws-sdk/lib-dynamodb";

/**
 * The deploy record status machine, the live pointer and the manifest format, on real
 * (stand-in) DynamoDB and S3: every transition here is one conditional write.
 */

let dir: string;
let s3rver: InstanceType<typeof S3rver>;
let db: Server;
let config: Config;
let clients: Clients;
let records: DeployRecords;
let sites: Sites;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "hoist-core-"));
  s3rver = new S3rver({ address: "127.0.0.1", port: 0, directory: dir, silent: true });
  const s3Port = ((await s3rver.run()) as AddressInfo).port;
  db = dynalite({ createTableMs: 0 }) as Server;
  await new Promise<void>((done) => db.listen(0, "127.0.0.1", () => done()));
  config = loadConfig({ HOIST_BACKEND: "aws", AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${s3Port}`, AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${(db.address() as AddressInfo).port}` });
  clients = createClients(config, { embedded: true });
  await ensureStorage(config, clients);
  records = new DeployRecords(clients.db, config.tables.deploys);
  sites = new Sites(clients.db, config.tables.sites);
});

afterAll(async () => {
  clients?.s3.destroy();
  clients?.dynamo.destroy();
  await s3rver?.close();
  await new Promise<void>((done) => (db ? db.close(() => done()) : done()));
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
const newDeploy = async (siteId = "acme/site") => {
  n += 1;
  const deployId = `01J0000000000000000000${String(n).padStart(4, "0")}`;
  await records.createQueued({ siteId, deployId, stage: "production", branch: "main", commit: "c".repeat(40), trigger: "cli", stagingKey: `deploys/${siteId}/${deployId}.tar.gz` });
  return { siteId, deployId };
};

describe("deploy records", () => {
  it("a deploy id is created once", async () => {
    const d = await newDeploy();
    await expect(records.createQueued({ ...d, stage: "production", branch: "main", commit: "x", trigger: "cli", stagingKey: "k" })).rejects.toThrow();
  });

  it("claiming twice: the second run gets nothing", async () => {
    const d = await newDeploy();
    const first = await records.claim(d.siteId, d.deployId, { runId: "run-1", leaseMs: 60_000 });
    expect(first).toMatchObject({ status: "running", runId: "run-1", attempt: 1 });
    expect(await records.claim(d.siteId, d.deployId, { runId: "run-2", leaseMs: 60_000 })).toBeNull();
  });

  it("a run killed before finishing is re-claimed once its lease has passed, and the old run can no longer write", async () => {
    const d = await newDeploy();
    const now = Date.now();
    await records.claim(d.siteId, d.deployId, { runId: "killed", leaseMs: 1000, now });
    expect(await records.claim(d.siteId, d.deployId, { runId: "early", leaseMs: 1000, now: now + 500 })).toBeNull();
    const retry = await records.claim(d.siteId, d.deployId, { runId: "retry", leaseMs: 1000, now: now + 1001 });
    expect(retry).toMatchObject({ runId: "retry", attempt: 2, status: "running" });
    expect(await records.finish(d.siteId, d.deployId, "killed", { status: "succeeded" })).toBe(false);
    expect(await records.finish(d.siteId, d.deployId, "retry", { status: "succeeded" })).toBe(true);
  });

  it("a deploy every run of which was killed is ended as timed out, but only once its lease (and grace) has passed", async () => {
    const d = await newDeploy();
    const now = Date.now();
    await records.claim(d.siteId, d.deployId, { runId: "killed", leaseMs: 1000, now });
    expect(await records.expireAbandoned(d.siteId, d.deployId, { now: now + 500 })).toBe(false);
    expect(await records.expireAbandoned(d.siteId, d.deployId, { now: now + 2000, graceMs: 5000 })).toBe(false);
    expect((await records.get(d.siteId, d.deployId))?.status).toBe("running");
    expect(await records.expireAbandoned(d.siteId, d.deployId, { now: now + 2000 })).toBe(true);
    expect(await records.get(d.siteId, d.deployId)).toMatchObject({ status: "timed_out", reason: "deploy.timed_out" });
    // Ended once: a late run can neither re-claim nor end it again.
    expect(await records.claim(d.siteId, d.deployId, { runId: "late", leaseMs: 1000, now: now + 3000 })).toBeNull();
    expect(await records.expireAbandoned(d.siteId, d.deployId, { now: now + 3000 })).toBe(false);
  });

  it("finish with another run's id writes nothing; a finished deploy cannot be claimed or finished again", async () => {
    const d = await newDeploy();
    await records.claim(d.siteId, d.deployId, { runId: "mine", leaseMs: 60_000 });
    expect(await records.finish(d.siteId, d.deployId, "other", { status: "failed", reason: "archive.empty" })).toBe(false);
    expect((await records.get(d.siteId, d.deployId))?.status).toBe("running");
    expect(await records.finish(d.siteId, d.deployId, "mine", { status: "failed", reason: "archive.empty", reasonMessage: "The archive contains no files." })).toBe(true);
    expect(await records.finish(d.siteId, d.deployId, "mine", { status: "succeeded" })).toBe(false);
    expect(await records.claim(d.siteId, d.deployId, { runId: "late", leaseMs: 1, now: Date.now() + 10_000_000 })).toBeNull();
    expect(await records.get(d.siteId, d.deployId)).toMatchObject({ status: "failed", reason: "archive.empty" });
  });

  it("released claims are free at once; a queued deploy can be ended only while queued", async () => {
    const d = await newDeploy();
    await records.claim(d.siteId, d.deployId, { runId: "crashed", leaseMs: 60_000 });
    await records.release(d.siteId, d.deployId, "crashed");
    expect(await records.claim(d.siteId, d.deployId, { runId: "next", leaseMs: 60_000 })).toMatchObject({ runId: "next" });
    expect(await records.endQueued(d.siteId, d.deployId, { status: "failed", reason: "fetch.failed", reasonMessage: "x" })).toBe(false);
    const q = await newDeploy();
    expect(await records.endQueued(q.siteId, q.deployId, { status: "superseded", reason: "deploy.superseded", reasonMessage: "newer push" })).toBe(true);
    expect(await records.claim(q.siteId, q.deployId, { runId: "r", leaseMs: 1000 })).toBeNull();
  });

  it("lists a site's history newest first, page by page", async () => {
    const site = "acme/history";
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await newDeploy(site)).deployId);
    const page1 = await records.list(site, { limit: 2 });
    expect(page1.deploys.map((d) => d.deployId)).toEqual([ids[4], ids[3]]);
    const page2 = await records.list(site, { limit: 2, cursor: page1.nextCursor });
    expect(page2.deploys.map((d) => d.deployId)).toEqual([ids[2], ids[1]]);
  });
});

describe("site pointers", () => {
  const base = { host: "site--acme", siteId: "acme/site", stage: "production" };

  it("a newer deploy wins; an older one publishing later is superseded; re-publishing is idempotent", async () => {
    expect(await sites.publish({ ...base, deployId: "01J0000000000000000000B002", manifestKey: "m2" })).toBe("published");
    expect(await sites.publish({ ...base, deployId: "01J0000000000000000000B001", manifestKey: "m1" })).toBe("superseded");
    expect(await sites.publish({ ...base, deployId: "01J0000000000000000000B002", manifestKey: "m2" })).toBe("published");
    expect(await sites.get(base.host)).toMatchObject({ liveDeployId: "01J0000000000000000000B002", liveManifestKey: "m2" });
  });

  it("rollback moves the live deploy only if nobody moved it meanwhile", async () => {
    const host = "rb--acme";
    await sites.publish({ ...base, host, siteId: "acme/rb", deployId: "01J0000000000000000000C001", manifestKey: "c1" });
    await sites.publish({ ...base, host, siteId: "acme/rb", deployId: "01J0000000000000000000C002", manifestKey: "c2" });
    expect(await sites.rollback({ host, toDeployId: "01J0000000000000000000C001", manifestKey: "c1", expectedLiveDeployId: "01J0000000000000000000C002" })).toBe(true);
    // A second person rolling back from the state they saw before loses.
    expect(await sites.rollback({ host, toDeployId: "01J0000000000000000000C001", manifestKey: "c1", expectedLiveDeployId: "01J0000000000000000000C002" })).toBe(false);
    expect(await sites.get(host)).toMatchObject({ liveDeployId: "01J0000000000000000000C001", publishedDeployId: "01J0000000000000000000C002" });
  });

  it("refuses another installation's site and another site's host", async () => {
    const host = "owned--acme";
    expect(await sites.publish({ host, siteId: "acme/owned", stage: "production", deployId: "01J0000000000000000000D001", manifestKey: "d1", owner: "client-a" })).toBe("published");
    expect(await sites.publish({ host, siteId: "acme/owned", stage: "production", deployId: "01J0000000000000000000D002", manifestKey: "d2", owner: "client-b" })).toBe("owned_elsewhere");
    expect(await sites.publish({ host, siteId: "other/owned", stage: "production", deployId: "01J0000000000000000000D003", manifestKey: "d3", owner: "client-a" })).toBe("host_conflict");
    expect((await sites.get(host))?.liveDeployId).toBe("01J0000000000000000000D001");
    expect((await sites.listStages("acme/owned")).map((s) => s.host)).toEqual([host]);
  });

  it("one site, one owner: another owner cannot claim even a new branch stage of it", async () => {
    expect(await sites.claim({ host: "one--acme", siteId: "acme/one", stage: "production", owner: "client-a" })).toBe(true);
    expect(await sites.claim({ host: stageHostLabel({ workspace: "acme", repo: "one" }, "staging"), siteId: "acme/one", stage: "staging", owner: "client-b" })).toBe(false);
    expect(await sites.listStages("acme/one")).toHaveLength(1);
  });

  it("a stage the old, lossy labels put on another site's host is moved out of the way, and keeps serving on its own", async () => {
    // Prepare: acme_/blog took blog--acme under the old labels (as a squatter would have).
    const squatter = { workspace: "acme_", repo: "blog" };
    await clients.db.send(new PutCommand({ TableName: config.tables.sites, Item: { host: "blog--acme", siteId: "acme_/blog", stage: "production", owner: "squatter", liveDeployId: "01J0000000000000000000E001", liveManifestKey: "squat" } }));
    // Act: the rightful site claims its label.
    expect(await sites.claim({ host: "blog--acme", siteId: "acme/blog", stage: "production", owner: "victim" })).toBe(true);
    // Assess: the label is the victim's, empty until its deploy; the squatter's site serves on its own label.
    expect(await sites.get("blog--acme")).toMatchObject({ siteId: "acme/blog", owner: "victim" });
    expect((await sites.get("blog--acme"))?.liveManifestKey).toBeUndefined();
    expect(await sites.get(stageHostLabel(squatter))).toMatchObject({ siteId: "acme_/blog", owner: "squatter", liveManifestKey: "squat" });
  });

  it("after a site's first deploy on its new label, its old host redirects there and leaves the site's stage list", async () => {
    const ref = { workspace: "my.team", repo: "site" };
    const legacy = legacyStageHostLabel(ref);
    await sites.publish({ host: legacy, siteId: "my.team/site", stage: "production", deployId: "01J0000000000000000000F001", manifestKey: "old", owner: "team" });
    expect(await sites.publish({ host: stageHostLabel(ref), siteId: "my.team/site", stage: "production", deployId: "01J0000000000000000000F002", manifestKey: "new", owner: "team" })).toBe("published");
    await sites.retireLegacyHost(ref, "production");
    expect(await sites.get(legacy)).toMatchObject({ movedTo: stageHostLabel(ref) });
    expect((await sites.get(legacy))?.liveManifestKey).toBeUndefined();
    expect((await sites.listStages("my.team/site")).map((st) => st.host)).toEqual([stageHostLabel(ref)]);
  });
});

describe("manifests", () => {
  it("round-trips through S3 and keys blobs by the hash of the original bytes and their encoding", async () => {
    const hash = "a".repeat(64);
    const manifest: Manifest = {
      version: 1,
      siteId: "acme/site",
      deployId: "01J0000000000000000000E001",
      stage: "production",
      commit: "c".repeat(40),
      createdAt: new Date().toISOString(),
      notFound: "404.html",
      files: { "index.html": { hash, size: 10, storedSize: 8, contentType: "text/html; charset=utf-8", contentEncoding: "gzip", cacheControl: "public, max-age=0, must-revalidate", blobKey: blobKey("acme/site", hash, "gzip") } },
    };
    const key = await writeManifest(clients.s3, config.buckets.sites, manifest);
    expect(key).toBe(manifestKey("acme/site", manifest.deployId));
    expect(key).toBe("sites/acme/site/manifests/01J0000000000000000000E001.json");
    expect(await readManifest(clients.s3, config.buckets.sites, key)).toEqual(manifest);
    expect(blobKey("acme/site", hash)).toBe(`sites/acme/site/blobs/${hash}`);
    expect(blobKey("acme/site", hash, "gzip")).toBe(`sites/acme/site/blobs/${hash}.gz`);
  });

  it("refuses a manifest that is not one", async () => {
    await writeManifest(clients.s3, config.buckets.sites, { version: 1, siteId: "acme/bad", deployId: "x", stage: "p", commit: "c", createdAt: "t", files: {} });
    const { PutObjectCommand } = await import("@aws-sdk/client-s3");
    await clients.s3.send(new PutObjectCommand({ Bucket: config.buckets.sites, Key: "sites/acme/bad/manifests/y.json", Body: JSON.stringify({ version: 2, files: { a: { hash: "nothex" } } }) }));
    await expect(readManifest(clients.s3, config.buckets.sites, "sites/acme/bad/manifests/y.json")).rejects.toThrow();
  });
});
