import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { EMBEDDED_CREDENTIALS } from "../../core/aws.ts";
import { configToEnv } from "../../core/config.ts";
import { stageHostLabel, type SiteRef } from "../../core/site.ts";
import { LocalLambda } from "../../server/local/lambda-runner.ts";
import { s3Event } from "../../server/local/staging-trigger.ts";
import { deploy, fetchDecoded, liveStage, openEmbeddedWorld, silent, stage, urlPath, type Staged, type World } from "./fixtures/harness.ts";
import { siteArchive } from "./fixtures/tar.ts";

/**
 * Kill at random: the real handler runs in a LocalLambda worker (a process, like a Lambda
 * container) deploying version B over live version A, and is SIGKILLed at a random moment —
 * the function's deadline, with a 1 ms watchdog margin so the kill, not the watchdog, ends it.
 * After every kill the gateway must serve exactly one complete version: every path of A, or
 * every path of B, never a mix, never an error for a path both have.
 */

let world: World;
let lambda: LocalLambda;

const ref: SiteRef = { workspace: "acme", repo: "killed" };

function version(name: "A" | "B"): Record<string, Buffer> {
  const files: Record<string, Buffer> = { "index.html": Buffer.from(`<h1>version ${name}</h1>`) };
  for (let i = 0; i < 40; i++) files[`pages/p${i}.html`] = Buffer.from(`<p>${name} page ${i}</p>${randomBytes(6000).toString("base64")}`);
  for (let i = 0; i < 6; i++) files[`img/i${i}.png`] = randomBytes(60_000);
  files[`only-${name}.txt`] = Buffer.from(`only in ${name}`);
  return files;
}

const A = version("A");
const B = version("B");
const archiveB = siteArchive(B);
const allPaths = [...new Set([...Object.keys(A), ...Object.keys(B)])];

beforeAll(async () => {
  world = await openEmbeddedWorld();
  lambda = new LocalLambda({
    env: { ...configToEnv(world.config), HOIST_TIMEOUT_MARGIN_MS: "1", AWS_ACCESS_KEY_ID: EMBEDDED_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: EMBEDDED_CREDENTIALS.secretAccessKey },
    timeoutSeconds: 30,
    logger: silent,
    // Warm workers are reused between invocations, as Lambda reuses containers; a killed one never is.
  });
});

afterAll(async () => {
  await lambda?.close();
  await world?.close();
});

/** Which complete version the gateway serves, or the list of what is wrong. */
async function servedVersion(): Promise<{ version?: "A" | "B"; problems: string[] }> {
  const index = (await fetchDecoded(world, ref, "/")).body.toString();
  const name = index.includes("version A") ? "A" : index.includes("version B") ? "B" : undefined;
  if (!name) return { problems: [`index serves neither version: ${index.slice(0, 80)}`] };
  const files = name === "A" ? A : B;
  const problems: string[] = [];
  for (const path of allPaths) {
    const reply = await fetchDecoded(world, ref, urlPath(path));
    const want = files[path];
    if (want && (reply.status !== 200 || !reply.body.equals(want))) problems.push(`${path}: ${reply.status}, not version ${name}'s bytes`);
    if (!want && reply.status !== 404) problems.push(`${path}: ${reply.status} but version ${name} has no such file`);
  }
  return { version: name, problems };
}

function eventFor(staged: Staged) {
  return s3Event({ eventName: "ObjectCreated:Put", bucket: world.config.buckets.staging, key: staged.key, size: archiveB.length });
}

it("after every SIGKILL mid-deploy the site serves one complete version; a retry then completes B", { timeout: 150_000 }, async () => {
  // Prepare: A live; measure how long an unkilled deploy of B takes, then put A back.
  const a = await deploy(world, ref, siteArchive(A));
  expect(a.record.status).toBe("succeeded");
  const backToA = async () => {
    const live = await liveStage(world, ref);
    if (live?.liveDeployId === a.deployId) return;
    expect(await world.sites.rollback({ host: stageHostLabel(ref), toDeployId: a.deployId, manifestKey: a.record.manifestKey!, expectedLiveDeployId: live!.liveDeployId! })).toBe(true);
  };
  const calibration = await stage(world, ref, archiveB);
  const measured = await lambda.invoke(eventFor(calibration), 30);
  expect(measured.ok).toBe(true);
  const fullMs = (await world.records.get(calibration.siteId, calibration.deployId))!.durationMs!;
  expect((await servedVersion()).version).toBe("B");

  // Act and assess, many times: kill somewhere between the start and the end of a deploy. A run
  // that finished before its kill shows the deploy is faster now than measured: the range shrinks,
  // so the kills land mid-deploy however busy or quiet the machine is.
  const outcomes: { killedAtMs: number; killed: boolean; status: string; served: string }[] = [];
  let upperMs = fullMs;
  for (let i = 0; i < 40 && outcomes.filter((o) => o.status === "running").length < 5; i++) {
    await backToA();
    const staged = await stage(world, ref, archiveB);
    const killAtMs = Math.round(20 + Math.random() * Math.max(1, upperMs - 20));
    const outcome = await lambda.invoke(eventFor(staged), killAtMs / 1000);
    const record = await world.records.get(staged.siteId, staged.deployId);
    const served = await servedVersion();
    outcomes.push({ killedAtMs: killAtMs, killed: !outcome.ok && outcome.killed, status: record!.status, served: served.version ?? "none" });
    expect(served.problems, `iteration ${i}, killed at ${killAtMs} ms of ~${fullMs} ms`).toEqual([]);
    if (outcome.ok) upperMs = Math.max(40, killAtMs);
  }
  // The kills really landed mid-deploy: runs died without recording an outcome.
  expect(outcomes.filter((o) => o.status === "running").length, JSON.stringify(outcomes)).toBeGreaterThanOrEqual(5);

  // A Lambda retry of a run killed right after it claimed the deploy (its lease since passed)
  // re-claims the deploy and completes B.
  await backToA();
  const killed = await stage(world, ref, archiveB);
  expect(await world.records.claim(killed.siteId, killed.deployId, { runId: "killed-run", leaseMs: 0, now: Date.now() - 1000 })).not.toBeNull();
  const retry = await lambda.invoke(eventFor(killed), 30);
  expect(retry.ok).toBe(true);
  const final = await world.records.get(killed.siteId, killed.deployId);
  expect({ status: final?.status, attempt: final?.attempt }).toEqual({ status: "succeeded", attempt: 2 });
  const served = await servedVersion();
  expect(served).toEqual({ version: "B", problems: [] });
});
