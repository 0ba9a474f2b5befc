import { createHash, randomBytes } from "node:crypto";
import { createReadStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMBEDDED_CREDENTIALS } from "../../core/aws.ts";
import { configToEnv, type Config } from "../../core/config.ts";
import { collectGarbage } from "../../core/gc.ts";
import type { SiteRef } from "../../core/site.ts";
import { checkpointPrefix } from "../../core/staging.ts";
import type { ContinuationEvent } from "../../lambda/deploy/continuation.ts";
import { runDeploy, type RunResult } from "../../lambda/deploy/run-deploy.ts";
import { LocalLambda } from "../../server/local/lambda-runner.ts";
import { s3Event } from "../../server/local/staging-trigger.ts";
import { bigSite, writeBigArchive, type BigSite } from "./fixtures/big-archive.ts";
import { deploy, fetchDecoded, lambdaClock, listKeys, openEmbeddedWorld, servingDifferences, silent, stage, urlPath, type Staged, type World } from "./fixtures/harness.ts";
import { siteArchive } from "./fixtures/tar.ts";

/**
 * Deploys that outlive the function (docs/architecture.md, "Deploys that outlive the function").
 *
 * Through the local Lambda runner (real worker processes, killed at their deadline as Lambda
 * does): a 400 MB archive with a 5 s function (`hoist deploy --timeout 5`) goes live after
 * continuations, every file served byte for byte; the same while workers are SIGKILLed at random
 * moments (the site serves one complete version throughout). Why 5 s and not less: each
 * continuation re-inflates the archive up to where the last run stopped, which for 400 MB takes
 * about 1 s here when the machine is quiet and up to 2.5 s when it is busy; a run of a 5 s function
 * has 3.75 s, so the outcome does not depend on how busy the machine is. In this process, with a run made to run out of time by slow
 * storage (every write of the embedded S3 waits 100 ms, so 400 files cannot be stored in the
 * run's time on any machine): a checkpoint of one archive is never applied to another staged
 * under the same deploy id; duplicate continuation events and a racing retry publish once; a
 * newer deploy that goes live first supersedes a deploy being continued; garbage collection
 * spares a continued deploy's blobs; and the limit of continuations ends the deploy `timed_out`
 * with the reason.
 */

const tmp = mkdtempSync(join(tmpdir(), "hoist-continuation-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const sha = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** Every file of the big site served with its exact bytes; the list of what is not. */
async function bigSiteDifferences(world: World, ref: SiteRef, site: BigSite): Promise<string[]> {
  const problems: string[] = [];
  for (const path of site.paths) {
    const reply = await fetchDecoded(world, ref, urlPath(path));
    if (reply.status !== 200) problems.push(`${path}: ${reply.status}`);
    else if (sha(reply.body) !== site.hash(path)) problems.push(`${path}: other bytes`);
  }
  return problems;
}

/** Stages an archive file as the add-on would (record first, then the object), streamed from disk. */
async function stageFile(world: World, ref: SiteRef, file: string): Promise<Staged> {
  const staged = await stage(world, ref, Buffer.alloc(0));
  await world.clients.s3.send(
    new PutObjectCommand({ Bucket: world.config.buckets.staging, Key: staged.key, Body: createReadStream(file), ContentLength: statSync(file).size, ContentType: "application/gzip" }),
  );
  return staged;
}

describe("through the local Lambda runner, with a 5 s function", () => {
  let world: World;
  let lambda: LocalLambda;
  const FUNCTION_S = 5;
  // 190 × 2 MB media, 2 × 20 MB streamed videos, 60 pages: about 400 MB.
  const big = bigSite({ media: 180, mediaBytes: 2_000_000, large: 2, largeBytes: 20_000_000, pages: 60, version: "B" });
  const bigFile = join(tmp, "big.tar.gz");

  beforeAll(async () => {
    world = await openEmbeddedWorld();
    lambda = new LocalLambda({
      // The limit is raised so a busy machine (more, shorter runs) cannot make the outcome differ.
      env: { ...configToEnv(world.config), HOIST_MAX_CONTINUATIONS: "60", AWS_ACCESS_KEY_ID: EMBEDDED_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: EMBEDDED_CREDENTIALS.secretAccessKey },
      timeoutSeconds: FUNCTION_S,
      logger: silent,
      retryDelaysMs: [200, 400],
    });
    await writeBigArchive(big, bigFile);
  }, 120_000);

  afterAll(async () => {
    await lambda?.close();
    await world?.close();
  });

  const eventFor = (staged: Staged) => s3Event({ eventName: "ObjectCreated:Put", bucket: world.config.buckets.staging, key: staged.key, size: statSync(bigFile).size });

  it("a 400 MB archive goes live after continuations, every file byte-identical, nothing stored twice", { timeout: 240_000 }, async () => {
    expect(big.bytes).toBeGreaterThan(400_000_000);
    const ref = { workspace: "acme", repo: "big" };
    const staged = await stageFile(world, ref, bigFile);
    const outcome = await lambda.invokeAsync(eventFor(staged));
    expect(outcome.ok).toBe(true);
    const record = (await world.records.get(staged.siteId, staged.deployId))!;
    expect(record.status, record.reasonMessage).toBe("succeeded");
    expect(record.continuations).toBeGreaterThanOrEqual(1);
    // One summary per run: every run but the last handed on; together they stored every file once.
    const runs = record.runs ?? [];
    expect(runs.map((r) => r.ended)).toEqual([...Array(record.continuations).fill("continued"), "finished"]);
    expect(runs.reduce((n, r) => n + r.filesStored, 0)).toBe(big.paths.length);
    expect(record.stats).toMatchObject({ files: big.paths.length, uploadedBlobs: big.paths.length, reusedBlobs: 0 });
    expect(record.stats!.uploadedBytes).toBe(record.stats!.storedBytes);
    expect(await bigSiteDifferences(world, ref, big)).toEqual([]);
    // The deploy's checkpoint and staged archive are gone with its outcome.
    expect(await listKeys(world, checkpointPrefix(staged.key), world.config.buckets.staging)).toEqual([]);
  });

  it("SIGKILLs between and during continuations: the site serves one complete version throughout, then the new one", { timeout: 300_000 }, async () => {
    const ref = { workspace: "acme", repo: "killed" };
    const A = { "index.html": "<h1>version A</h1>", "media/m0.jpg": randomBytes(5000), "only-a.txt": "A" };
    expect((await deploy(world, ref, siteArchive(A))).record.status).toBe("succeeded");
    const staged = await stageFile(world, ref, bigFile);
    let settled = false;
    const run = lambda.invokeAsync(eventFor(staged)).finally(() => {
      settled = true;
    });

    // What a visitor sees while B deploys: all of A (its files, no B-only file), or all of B.
    const seen = new Set<string>();
    const problems: string[] = [];
    const watch = (async () => {
      while (!settled) {
        const index = (await fetchDecoded(world, ref, "/")).body.toString();
        const version = index.includes("version A") ? "A" : index.includes("version B") ? "B" : "neither";
        seen.add(version);
        const onlyA = (await fetchDecoded(world, ref, "/only-a.txt")).status;
        const media = (await fetchDecoded(world, ref, "/media/m0.jpg")).body;
        if (version === "A" && (onlyA !== 200 || !media.equals(A["media/m0.jpg"]))) problems.push(`A incomplete: only-a ${onlyA}`);
        if (version === "B" && (onlyA !== 404 || sha(media) !== big.hash("media/m0.jpg"))) problems.push(`B incomplete: only-a ${onlyA}`);
        if (version === "neither") problems.push(`index serves neither: ${index.slice(0, 60)}`);
        await sleep(100);
      }
    })();

    // Kill a busy worker at a random moment, then wait for the deploy's next continuation before
    // the next kill: Lambda retries an event twice, so one kill per event keeps the chain alive.
    let kills = 0;
    while (kills < 3 && !settled) {
      await sleep(300 + Math.random() * 2000);
      const before = (await world.records.get(staged.siteId, staged.deployId))?.continuations ?? 0;
      const pid = lambda.busyPids[0];
      if (pid === undefined || settled) continue;
      process.kill(pid, "SIGKILL");
      kills += 1;
      while (!settled && ((await world.records.get(staged.siteId, staged.deployId))?.continuations ?? 0) <= before) await sleep(100);
    }
    const outcome = await run;
    await watch;
    expect(kills).toBeGreaterThanOrEqual(1);
    expect(outcome.ok).toBe(true);
    const record = (await world.records.get(staged.siteId, staged.deployId))!;
    expect({ status: record.status, reason: record.reasonMessage }).toEqual({ status: "succeeded", reason: undefined });
    expect(problems).toEqual([]);
    expect(seen.has("A")).toBe(true);
    expect(await bigSiteDifferences(world, ref, big)).toEqual([]);
    expect((await fetchDecoded(world, ref, "/only-a.txt")).status).toBe(404);
  });
});

describe("in this process, a run stopped by its time limit on slow storage", () => {
  let world: World;
  let config: Config;
  const pageFiles = (version: string) => {
    const files: Record<string, Buffer> = { "index.html": Buffer.from(`<h1>version ${version}</h1>`) };
    for (let i = 0; i < 400; i++) files[`img/${i}.png`] = randomBytes(3000);
    return files;
  };

  beforeAll(async () => {
    world = await openEmbeddedWorld({ HOIST_TEST_SLOW_STORAGE_MS: "100" });
    config = world.config;
  });
  afterAll(async () => {
    await world?.close();
  });

  /** Runs the deployer on a staged archive; continuations are captured, not started. */
  async function runOnce(staged: Staged, opts: { remainingMs: number; token?: string; config?: Config }): Promise<{ result: RunResult; next: ContinuationEvent[] }> {
    const next: ContinuationEvent[] = [];
    const result = await runDeploy({ config: opts.config ?? config, clients: world.clients, logger: silent }, { bucket: config.buckets.staging, ...staged }, lambdaClock(opts.remainingMs), {
      token: opts.token,
      continueWith: async (event) => {
        next.push(event);
      },
    });
    return { result, next };
  }

  /** A first run of 2 s (1.5 s of work): 400 writes of 100 ms, 16 at a time, need at least 2.5 s. */
  async function handedOff(ref: SiteRef, archive: Buffer): Promise<{ staged: Staged; event: ContinuationEvent }> {
    const staged = await stage(world, ref, archive);
    const { result, next } = await runOnce(staged, { remainingMs: 2000 });
    expect(result).toEqual({ outcome: "continued", continuation: 1 });
    expect(next).toHaveLength(1);
    const record = await world.records.get(staged.siteId, staged.deployId);
    expect({ status: record?.status, continuations: record?.continuations }).toEqual({ status: "running", continuations: 1 });
    expect(record?.runs?.[0]?.filesStored).toBeGreaterThan(0);
    return { staged, event: next[0]! };
  }

  it("never applies the checkpoint of one archive to another staged under the same deploy id", { timeout: 60_000 }, async () => {
    const ref = { workspace: "acme", repo: "swapped" };
    const A = pageFiles("A");
    // B: the same paths and sizes in the same order, other bytes — only the archive's identity tells them apart.
    const B = Object.fromEntries(Object.entries(A).map(([path, body]) => [path, path === "index.html" ? Buffer.from("<h1>version B</h1>") : randomBytes(body.length)]));
    const { staged, event } = await handedOff(ref, siteArchive(A));
    await world.clients.s3.send(new PutObjectCommand({ Bucket: config.buckets.staging, Key: staged.key, Body: siteArchive(B) }));
    const { result } = await runOnce(staged, { remainingMs: 60_000, token: event.token });
    expect(result.outcome).toBe("finished");
    const record = (await world.records.get(staged.siteId, staged.deployId))!;
    expect(record.status).toBe("succeeded");
    expect(record.runs?.[1]?.filesResumed).toBe(0);
    expect(await servingDifferences(world, ref, B)).toEqual([]);
  });

  it("duplicate continuation events and a racing retry of the original event: one run finishes, the site is stored and published once", { timeout: 60_000 }, async () => {
    const ref = { workspace: "acme", repo: "duplicates" };
    const A = pageFiles("A");
    const { staged, event } = await handedOff(ref, siteArchive(A));
    const results = await Promise.all([
      runOnce(staged, { remainingMs: 60_000, token: event.token }),
      runOnce(staged, { remainingMs: 60_000, token: event.token }),
      runOnce(staged, { remainingMs: 60_000 }),
    ]);
    const outcomes = results.map((r) => r.result.outcome).sort();
    expect(outcomes).toEqual(["finished", "skipped", "skipped"]);
    const record = (await world.records.get(staged.siteId, staged.deployId))!;
    expect(record.status).toBe("succeeded");
    expect(record.runs?.map((r) => r.ended)).toEqual(["continued", "finished"]);
    // Every file stored once: what the second run stored plus what it took over is the whole site.
    expect(record.runs![1]!.filesResumed + record.runs![1]!.filesStored).toBe(401);
    expect(record.stats).toMatchObject({ files: 401, uploadedBlobs: 401 });
    expect(await servingDifferences(world, ref, A)).toEqual([]);
    const manifests = await listKeys(world, `sites/${staged.siteId}/manifests/`);
    expect(manifests).toEqual([`sites/${staged.siteId}/manifests/${staged.deployId}.json`]);
    expect(await listKeys(world, checkpointPrefix(staged.key), world.config.buckets.staging)).toEqual([]);
  });

  it("a newer deploy that goes live first supersedes a deploy being continued; it stops at its next run", { timeout: 60_000 }, async () => {
    const ref = { workspace: "acme", repo: "overtaken" };
    const { staged, event } = await handedOff(ref, siteArchive(pageFiles("old")));
    const newer = await deploy(world, ref, siteArchive({ "index.html": "<h1>newer</h1>" }));
    expect(newer.record.status).toBe("succeeded");
    const { result } = await runOnce(staged, { remainingMs: 60_000, token: event.token });
    expect(result.outcome).toBe("finished");
    const record = (await world.records.get(staged.siteId, staged.deployId))!;
    expect({ status: record.status, reason: record.reason }).toEqual({ status: "superseded", reason: "deploy.superseded" });
    expect((await fetchDecoded(world, ref, "/")).body.toString()).toBe("<h1>newer</h1>");
  });

  it("garbage collection spares the blobs of a deploy being continued, and removes checkpoints of ended deploys", { timeout: 60_000 }, async () => {
    const ref = { workspace: "acme", repo: "collected" };
    const A = pageFiles("A");
    const { staged, event } = await handedOff(ref, siteArchive(A));
    const gcDeps = { config, clients: world.clients, records: world.records, sites: world.sites, logger: silent };
    // No grace at all: only the running deploy protects what its first run stored.
    const blobs = `sites/${staged.siteId}/blobs/`;
    const stored = await listKeys(world, blobs);
    expect(stored.length).toBeGreaterThan(0);
    await collectGarbage(gcDeps, { graceMs: 0 });
    expect(await listKeys(world, blobs)).toEqual(stored);
    expect((await listKeys(world, checkpointPrefix(staged.key), config.buckets.staging)).length).toBeGreaterThan(0);
    // A segment left behind by a run whose deploy then ended (the run could not delete it).
    expect((await runOnce(staged, { remainingMs: 60_000, token: event.token })).result.outcome).toBe("finished");
    expect((await world.records.get(staged.siteId, staged.deployId))?.runs?.[1]?.filesResumed).toBeGreaterThan(0);
    expect(await servingDifferences(world, ref, A)).toEqual([]);
    const leftover = `${checkpointPrefix(staged.key)}leftover-000000.json`;
    await world.clients.s3.send(new PutObjectCommand({ Bucket: config.buckets.staging, Key: leftover, Body: "{}" }));
    await collectGarbage(gcDeps, { graceMs: 0 });
    expect(await listKeys(world, checkpointPrefix(staged.key), config.buckets.staging)).toEqual([]);
    expect(await servingDifferences(world, ref, A)).toEqual([]);
  });

  it("at the limit of continuations the deploy ends timed_out, says why, and the live site is unchanged", { timeout: 60_000 }, async () => {
    const ref = { workspace: "acme", repo: "limited" };
    expect((await deploy(world, ref, siteArchive({ "index.html": "<h1>live</h1>" }))).record.status).toBe("succeeded");
    const { staged, event } = await handedOff(ref, siteArchive(pageFiles("too big")));
    const { result, next } = await runOnce(staged, { remainingMs: 2000, token: event.token, config: { ...config, maxContinuations: 1 } });
    expect(result.outcome).toBe("finished");
    expect(next).toEqual([]);
    const record = (await world.records.get(staged.siteId, staged.deployId))!;
    expect({ status: record.status, reason: record.reason, continuations: record.continuations }).toEqual({ status: "timed_out", reason: "deploy.timed_out", continuations: 1 });
    expect(record.reasonMessage).toMatch(/in its run 2 .*It was not continued again: it was already continued 1 time, the limit \(HOIST_MAX_CONTINUATIONS\)/);
    expect(record.progress?.filesDone).toBeGreaterThan(record.runs![0]!.filesStored);
    expect((await fetchDecoded(world, ref, "/")).body.toString()).toBe("<h1>live</h1>");
  });
});
