import { fork } from "node:child_process";
import { writeFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadavg } from "node:os";
import { buildPushPayload } from "../../../sandbox/push-events.ts";
import { gitDirOf } from "../../../sandbox/repos.ts";
import { runClient, type ClientResult, type WebhookJob } from "./client.ts";
import { smallSite, startBenchStack } from "./stack.ts";
import { summarize, type Summary } from "./stats.ts";

/**
 * Webhook acknowledgement under 50 concurrent signed repo:push deliveries. Each delivery is the
 * payload the sandbox itself builds (sandbox/push-events.ts) for a push that moved `main` by one
 * commit, each naming a different commit, so every one of them reaches the real push path after
 * the answer (site settings read from the sandbox, a queued deploy record, INPROGRESS status, the
 * stage queue superseding all but the newest). One warm-up burst, then ROUNDS measured bursts;
 * between bursts the bench waits until every push and deploy has ended.
 */

export const CONCURRENCY = 50;
const ROUNDS = 3;
const HERE = fileURLToPath(new URL(".", import.meta.url));

export type WebhookResult = {
  date: string;
  loadAtStart: string;
  concurrency: number;
  rounds: number;
  all: Summary;
  perRound: Summary[];
  warmup: Summary;
  statuses: Record<string, number>;
  /** The same bursts against an empty Node server in its own process (empty-server.ts). */
  floor: Summary;
  /** Burst start → the last deploy of the burst ended (push work + deploy queue idle). */
  drainMs: number[];
  deploysCreated: number;
};

export async function benchWebhooks(root: string, log: (line: string) => void): Promise<WebhookResult> {
  const loadAtStart = loadavg().map((l) => l.toFixed(2)).join(" ");
  const stack = await startBenchStack(root, "webhooks");
  try {
    const tree = await stack.repo("hooks");
    await tree.write(smallSite(20, "hooks 0"));
    const commits = [await tree.commit("site")];
    const needed = CONCURRENCY * (ROUNDS + 1);
    log(`webhooks: ${needed} commits`);
    for (let i = 1; i <= needed; i++) {
      await tree.write({ "index.html": `<!doctype html><h1>hooks ${i}</h1>\n` });
      commits.push(await tree.commit(`change ${i}\n\nBody of change ${i}.`));
    }
    await tree.push(); // a real push: the tip deploys, so the site exists and is owned
    await stack.settle();

    const state = stack.sandboxState();
    const inst = stack.installation();
    const repo = state.repo(tree.ref.workspace, tree.ref.repo)!;
    const ctx = { origin: stack.local.sandbox.url, gitDir: gitDirOf(join(stack.dataDir, "sandbox"), repo), repo, workspace: state.workspace(repo.workspace), actor: state.data.user };
    const payloadFor = async (i: number) => {
      const ref = (c: string) => new Map([["refs/heads/main", { name: "refs/heads/main", commit: c }]]);
      const payload = await buildPushPayload(ctx, ref(commits[i - 1]!), ref(commits[i]!));
      return { requestUuid: `{${randomUUID()}}`, body: JSON.stringify(payload) };
    };
    const url = `${stack.local.hoist.url}/webhooks/repo-push`;
    const siteId = `${tree.ref.workspace}/${tree.ref.repo}`;
    const count = async () => {
      let n = 0;
      let cursor: string | undefined;
      do {
        const page = await stack.local.hoist.hoist.records.list(siteId, { limit: 100, cursor });
        n += page.deploys.length;
        cursor = page.nextCursor;
      } while (cursor);
      return n;
    };
    const before = await count();

    const bursts: ClientResult[] = [];
    const drainMs: number[] = [];
    const deliveryFiles: string[] = [];
    for (let round = 0; round <= ROUNDS; round++) {
      const deliveries = [];
      for (let k = 1; k <= CONCURRENCY; k++) deliveries.push(await payloadFor(round * CONCURRENCY + k));
      const deliveriesFile = join(stack.dataDir, `deliveries-${round}.json`);
      writeFileSync(deliveriesFile, JSON.stringify(deliveries));
      deliveryFiles.push(deliveriesFile);
      const job: WebhookJob = { mode: "webhooks", url, baseUrl: stack.local.hoist.url, clientKey: inst.clientKey, sharedSecret: inst.sharedSecret, deliveriesFile };
      const t0 = Date.now();
      const result = await runClient(job);
      await stack.settle();
      drainMs.push(Date.now() - t0);
      const s = summarize(result.ms);
      log(`webhooks: ${round === 0 ? "warm-up" : `round ${round}`}: p50 ${s.p50.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms, max ${s.max.toFixed(1)} ms; statuses ${[...new Set(result.statuses)].join(",")}; drained in ${drainMs.at(-1)} ms`);
      bursts.push(result);
    }
    const after = await count();
    const floor = await floorBursts(deliveryFiles, inst, ROUNDS);
    log(`webhooks: empty-server floor p50 ${floor.p50.toFixed(1)} ms, p95 ${floor.p95.toFixed(1)} ms`);
    const measured = bursts.slice(1);
    const statuses: Record<string, number> = {};
    for (const b of measured) for (const st of b.statuses) statuses[st] = (statuses[st] ?? 0) + 1;
    return {
      date: new Date().toISOString(),
      loadAtStart,
      concurrency: CONCURRENCY,
      rounds: ROUNDS,
      floor,
      all: summarize(measured.flatMap((b) => b.ms)),
      perRound: measured.map((b) => summarize(b.ms)),
      warmup: summarize(bursts[0]!.ms),
      statuses,
      drainMs: drainMs.slice(1),
      deploysCreated: after - before,
    };
  } finally {
    await stack.close();
  }
}

/** The measured bursts again (same bodies and headers), against empty-server.ts. */
async function floorBursts(files: string[], inst: { clientKey: string; sharedSecret: string }, rounds: number): Promise<Summary> {
  const server = fork(join(HERE, "empty-server.ts"), [], { execArgv: ["--no-warnings", "--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      server.once("message", (m) => resolve(m as number));
      server.once("error", reject);
    });
    const base = `http://127.0.0.1:${port}`;
    const ms: number[] = [];
    for (const file of files.slice(1, rounds + 1)) {
      const job: WebhookJob = { mode: "webhooks", url: `${base}/webhooks/repo-push`, baseUrl: base, clientKey: inst.clientKey, sharedSecret: inst.sharedSecret, deliveriesFile: file };
      ms.push(...(await runClient(job)).ms);
    }
    return summarize(ms);
  } finally {
    server.kill();
  }
}
