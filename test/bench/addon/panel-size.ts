import { execFile } from "node:child_process";
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";

/**
 * The panel's JavaScript as a browser downloads it: `vite build` of web/ (the same config as
 * `npm run build:web`, but into .bench/web-build so a test run using dist/web is never
 * disturbed), then every assets/*.js gzip'd at level 9 (what gzip-size reports). The first-render
 * figure comes from the Playwright run (test/e2e/panel-render.bench.spec.ts); it is read from
 * FIRST_RENDER_FILE when a run left one there.
 */

const run = promisify(execFile);
export const FIRST_RENDER_FILE = ".bench/results/panel-first-render.json";

export type PanelAsset = { file: string; bytes: number; gzipBytes: number; loadedByIndex: boolean };
export type FirstRender = { renderMs: number; renderPaintMs?: number; runs?: number; date?: string };
export type PanelResult = { date: string; assets: PanelAsset[]; jsGzipBytes: number; initialJsGzipBytes: number; cssGzipBytes: number; buildMs: number; firstRender?: FirstRender };

export async function benchPanel(root: string, log: (line: string) => void): Promise<PanelResult> {
  const outDir = join(root, "web-build");
  rmSync(outDir, { recursive: true, force: true });
  const started = performance.now();
  await run(resolve("node_modules/.bin/vite"), ["build", "--config", "web/vite.config.ts", "--outDir", outDir, "--emptyOutDir", "--logLevel", "warn"], { maxBuffer: 16 * 1024 * 1024 });
  const buildMs = performance.now() - started;
  const index = readFileSync(join(outDir, "index.html"), "utf8");
  const assetsDir = join(outDir, "assets");
  const assets: PanelAsset[] = [];
  let cssGzipBytes = 0;
  for (const file of readdirSync(assetsDir).sort()) {
    const body = readFileSync(join(assetsDir, file));
    const gz = gzipSync(body, { level: 9 }).length;
    if (file.endsWith(".css")) cssGzipBytes += gz;
    if (!file.endsWith(".js")) continue;
    assets.push({ file, bytes: body.length, gzipBytes: gz, loadedByIndex: index.includes(`assets/${file}`) });
  }
  const jsGzipBytes = assets.reduce((n, a) => n + a.gzipBytes, 0);
  const initialJsGzipBytes = assets.filter((a) => a.loadedByIndex).reduce((n, a) => n + a.gzipBytes, 0);
  log(`panel: ${assets.length} JS file(s), ${(jsGzipBytes / 1024).toFixed(1)} KB gzip'd (${(initialJsGzipBytes / 1024).toFixed(1)} KB loaded by index.html)`);
  return { date: new Date().toISOString(), assets, jsGzipBytes, initialJsGzipBytes, cssGzipBytes, buildMs, firstRender: readFirstRender() };
}

/** The e2e run's figure, when it wrote one (`{ "renderMs": 42, ... }`); else undefined. */
export function readFirstRender(file = FIRST_RENDER_FILE): FirstRender | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as FirstRender;
    return typeof parsed.renderMs === "number" ? parsed : undefined;
  } catch {
    return undefined;
  }
}
