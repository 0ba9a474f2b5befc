import { loadavg } from "node:os";
import { DEMO } from "../../../server/local/local-mode.ts";
import { siteId as siteIdOf } from "../../../core/site.ts";
import { git, smallSite, startBenchStack, workTree } from "./stack.ts";
import { summarize, type Summary } from "./stats.ts";

/**
 * Push-to-live in local mode, as a user of `npm start` sees it: in the demo site's work tree,
 * commit a change, then time a real `git push origin main` to the sandbox until the gateway
 * (127.0.0.1, the site's Host header, polled every POLL_MS) serves the new content. The site is
 * a small one (SITE_FILES files); each push changes index.html and one page. One unmeasured
 * push first (it grows the demo site to SITE_FILES files and warms the deployer worker), then
 * PUSHES measured ones; after each, the bench waits for the push's work to end (final build
 * status posted) so pushes never overlap.
 */

const PUSHES = 15;
const PAGES = 60;
const POLL_MS = 20;
export const SITE_FILES = PAGES + 4;

export type PushPhase = { pushReturnedMs: number; queuedMs: number; startedMs: number; finishedMs: number; liveMs: number };
export type PushResult = { date: string; loadAtStart: string; files: number; pushes: number; pollMs: number; live: Summary; phases: PushPhase[]; first: PushPhase };

export async function benchPushToLive(root: string, log: (line: string) => void): Promise<PushResult> {
  const loadAtStart = loadavg().map((l) => l.toFixed(2)).join(" ");
  const stack = await startBenchStack(root, "push");
  try {
    const tree = workTree(stack.local.workDir, DEMO);
    await git(tree.dir, "rm", "--quiet", "-r", "."); // the demo's 3 files become the bench site
    const records = stack.local.hoist.hoist.records;
    const siteId = siteIdOf(DEMO);

    const once = async (i: number): Promise<PushPhase> => {
      const marker = `bench push ${i} ${Date.now().toString(36)}`;
      await tree.write(i === 0 ? smallSite(PAGES, marker) : { "index.html": smallSite(0, marker)["index.html"]!, [`pages/p${String((i % PAGES) + 1).padStart(3, "0")}.html`]: `<!doctype html><p>${marker}</p>\n` });
      const commit = await tree.commit(`bench push ${i}`);
      const startedAt = Date.now();
      const t0 = performance.now();
      await tree.push();
      const pushReturnedMs = performance.now() - t0;
      let liveMs = Number.NaN;
      for (;;) {
        const res = await stack.site(DEMO).catch(() => ({ status: 0, body: "" }));
        if (res.status === 200 && res.body.includes(marker)) {
          liveMs = performance.now() - t0;
          break;
        }
        if (performance.now() - t0 > 60_000) throw new Error(`push ${i} was not live after 60 s`);
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
      await stack.settle();
      const record = (await records.list(siteId, { limit: 5 })).deploys.find((d) => d.commit === commit);
      const at = (iso?: string) => (iso ? Date.parse(iso) - startedAt : Number.NaN);
      if (record?.status !== "succeeded") throw new Error(`push ${i}: deploy ended ${record?.status ?? "missing"} (${record?.reason ?? ""})`);
      return { pushReturnedMs, queuedMs: at(record.queuedAt), startedMs: at(record.startedAt), finishedMs: at(record.finishedAt), liveMs };
    };

    const first = await once(0);
    log(`push-to-live: first push (${SITE_FILES} files) live in ${first.liveMs.toFixed(0)} ms`);
    const phases: PushPhase[] = [];
    for (let i = 1; i <= PUSHES; i++) {
      const p = await once(i);
      phases.push(p);
      log(`push-to-live: push ${i}: git push ${p.pushReturnedMs.toFixed(0)} ms, queued ${p.queuedMs} ms, started ${p.startedMs} ms, finished ${p.finishedMs} ms, live ${p.liveMs.toFixed(0)} ms`);
    }
    return { date: new Date().toISOString(), loadAtStart, files: SITE_FILES, pushes: PUSHES, pollMs: POLL_MS, live: summarize(phases.map((p) => p.liveMs)), phases, first };
  } finally {
    await stack.close();
  }
}
