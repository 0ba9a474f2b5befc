import { loadavg } from "node:os";
import { monotonicFactory } from "ulid";
import type { DeployRecords, DeployStats } from "../../../core/deploy-records.ts";
import { PRODUCTION, siteId as siteIdOf } from "../../../core/site.ts";
import { stagingKey } from "../../../core/staging.ts";
import { signAddonRequest } from "../../../sandbox/connect-jwt.ts";
import { runClient } from "./client.ts";
import { smallSite, startBenchStack } from "./stack.ts";
import { summarize, type Summary } from "./stats.ts";

/**
 * The panel's history API on a site with 10,000 deploys. The site is created by a real push
 * (so it exists and its stage is owned by the installation), then DEPLOYS - 1 older records
 * are written straight into DynamoDB through DeployRecords, each taken through the status
 * machine (queued → running → final) like the deployer does. A session token is obtained as
 * the panel gets one (the iframe URL signed as Bitbucket signs it → <meta name="hoist-token">).
 * Then, from a client process, REQUESTS sequential GETs of the first page (`?limit=20`) and
 * REQUESTS of a deep page (`?limit=20&cursor=…` at deploy DEEP_AT, the cursor found by walking
 * the pages first), after WARMUP unmeasured ones each.
 */

export const DEPLOYS = 10_000;
const REQUESTS = 200;
const WARMUP = 10;
const DEEP_AT = 5_000;
const SEED_CONCURRENCY = 16;

export type ApiResult = { date: string; loadAtStart: string; deploys: number; requests: number; deepAt: number; first: Summary; deep: Summary; firstBytes: number; deepBytes: number; seedMs: number };

export async function benchPanelApi(root: string, log: (line: string) => void): Promise<ApiResult> {
  const loadAtStart = loadavg().map((l) => l.toFixed(2)).join(" ");
  const stack = await startBenchStack(root, "api");
  try {
    const tree = await stack.repo("history");
    await tree.write(smallSite(10, "history"));
    await tree.commit("site");
    await tree.push();
    await stack.settle();
    const inst = stack.installation();
    const siteId = siteIdOf(tree.ref);
    const records = stack.local.hoist.hoist.records;

    const seedStarted = performance.now();
    const nextId = monotonicFactory();
    const base = Date.now() - DEPLOYS * 600_000;
    const ids = Array.from({ length: DEPLOYS - 1 }, (_, i) => ({ i, deployId: nextId(base + i * 600_000) }));
    let done = 0;
    const worker = async () => {
      for (let item = ids.shift(); item; item = ids.shift()) {
        await seedOne(records, tree.ref, siteId, inst.clientKey, item.i, item.deployId, base + item.i * 600_000);
        if (++done % 2000 === 0) log(`panel API: seeded ${done} deploys`);
      }
    };
    await Promise.all(Array.from({ length: SEED_CONCURRENCY }, worker));
    const seedMs = performance.now() - seedStarted;
    log(`panel API: ${DEPLOYS} deploys in ${siteId} (seeded in ${(seedMs / 1000).toFixed(0)} s)`);

    const hoistUrl = stack.local.hoist.url;
    const panelPath = `/panel?repoUuid=%7Bbench%7D&repoPath=${encodeURIComponent(siteId)}&mainBranch=main`;
    const state = stack.sandboxState();
    const jwt = signAddonRequest({ clientKey: inst.clientKey, sharedSecret: inst.sharedSecret, method: "GET", url: `${hoistUrl}${panelPath}`, baseUrl: hoistUrl, sub: state.data.user.accountId });
    const html = await (await fetch(`${hoistUrl}${panelPath}&jwt=${jwt}`)).text();
    const token = /<meta name="hoist-token" content="([^"]*)">/.exec(html)?.[1];
    if (!token) throw new Error("the panel page carried no session token");

    const listUrl = `${hoistUrl}/api/sites/${siteId}/deploys?limit=20`;
    let cursor: string | undefined;
    for (let seen = 0; seen < DEEP_AT; seen += 20) {
      const res = await fetch(cursor ? `${listUrl}&cursor=${cursor}` : listUrl, { headers: { authorization: `JWT ${token}` } });
      const page = (await res.json()) as { nextCursor?: string };
      if (!page.nextCursor) throw new Error(`history ended before deploy ${seen + 20}`);
      cursor = page.nextCursor;
    }
    const first = await runClient({ mode: "api", url: listUrl, token, warmup: WARMUP, count: REQUESTS });
    const deep = await runClient({ mode: "api", url: `${listUrl}&cursor=${cursor}`, token, warmup: WARMUP, count: REQUESTS });
    for (const [name, r] of [["first", first], ["deep", deep]] as const) {
      const bad = r.statuses.filter((s) => s !== 200).length;
      if (bad > 0) throw new Error(`panel API ${name} page: ${bad} answers were not 200`);
    }
    const result = { date: new Date().toISOString(), loadAtStart, deploys: DEPLOYS, requests: REQUESTS, deepAt: DEEP_AT, first: summarize(first.ms), deep: summarize(deep.ms), firstBytes: first.bytes, deepBytes: deep.bytes, seedMs };
    log(`panel API: first page p50 ${result.first.p50.toFixed(1)} ms, p95 ${result.first.p95.toFixed(1)} ms; deep page p50 ${result.deep.p50.toFixed(1)} ms, p95 ${result.deep.p95.toFixed(1)} ms`);
    return result;
  } finally {
    await stack.close();
  }
}

/** One older deploy: mostly successes, a failure every 7th, a timeout every 11th (as the e2e seed). */
async function seedOne(records: DeployRecords, ref: { workspace: string; repo: string }, siteId: string, clientKey: string, i: number, deployId: string, queuedMs: number): Promise<void> {
  await records.createQueued({
    siteId,
    deployId,
    owner: clientKey,
    stage: PRODUCTION,
    branch: "main",
    commit: (BigInt(i) * 2654435761n).toString(16).padStart(40, "0").slice(-40),
    author: "Ada Lovelace",
    message: `Seeded change number ${i + 1}`,
    trigger: "push",
    stagingKey: stagingKey(ref, deployId),
    queuedAt: new Date(queuedMs).toISOString(),
  });
  const startedMs = queuedMs + 1_000;
  await records.claim(siteId, deployId, { runId: "seed", leaseMs: 60_000, now: startedMs });
  const startedAt = new Date(startedMs).toISOString();
  const files = 60 + (i % 40);
  const stats: DeployStats = { archiveBytes: 150_000, originalBytes: 420_000, storedBytes: 190_000, uploadedBytes: 4_000, files, compressedFiles: 40, reusedBlobs: files - 2, uploadedBlobs: 2 };
  if (i % 11 === 10) {
    await records.finish(siteId, deployId, "seed", { status: "timed_out", reason: "deploy.timed_out", reasonMessage: "Timed out after 58 s.", stats, startedAt });
  } else if (i % 7 === 6) {
    await records.finish(siteId, deployId, "seed", { status: "failed", reason: "archive.symlink", reasonMessage: '"link.html" is a symbolic link.', stats, startedAt });
  } else {
    await records.finish(siteId, deployId, "seed", { status: "succeeded", stats, startedAt, manifestKey: `sites/${siteId}/manifests/${deployId}.json` });
  }
}
