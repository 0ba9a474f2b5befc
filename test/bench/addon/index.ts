import { loadNow, type Machine } from "../report.ts";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { benchPanelApi } from "./panel-api.ts";
import { benchPanel, readFirstRender } from "./panel-size.ts";
import { benchPushToLive } from "./push-to-live.ts";
import { printAddon, writeAddonSections, type AddonResults } from "./report.ts";
import { benchWebhooks } from "./webhook-ack.ts";

/**
 * The add-on and panel figures of `npm run bench` (after the deployer corpora, or alone with
 * `--only addon`, `--only panel`, or single parts `--only webhook,push,api`). Each part's latest
 * result is cached in .bench/results/, and BENCHMARKS.md's add-on and panel sections are rebuilt
 * from the latest result of every part, like the deployer table.
 */

export const ADDON_PARTS = ["webhook", "push", "api", "panel"] as const;
export type AddonPart = (typeof ADDON_PARTS)[number];

const FILES: Record<AddonPart, string> = { webhook: "addon-webhook.json", push: "addon-push.json", api: "addon-api.json", panel: "panel.json" };

export async function runAddonBench(root: string, parts: AddonPart[], opts: { write: boolean; file: string; machine: Machine; log: (line: string) => void }): Promise<void> {
  const results = join(root, "results");
  mkdirSync(results, { recursive: true });
  const runners: Record<AddonPart, () => Promise<unknown>> = {
    webhook: () => benchWebhooks(root, opts.log),
    push: () => benchPushToLive(root, opts.log),
    api: () => benchPanelApi(root, opts.log),
    panel: () => benchPanel(root, opts.log),
  };
  for (const part of parts) {
    opts.log(`${part}: start (load ${loadNow()})`);
    const result = await runners[part]();
    writeFileSync(join(results, FILES[part]), JSON.stringify(result, null, 2));
  }
  const latest = <T>(part: AddonPart): T | undefined => {
    const file = join(results, FILES[part]);
    return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as T) : undefined;
  };
  const all: AddonResults = { webhook: latest("webhook"), push: latest("push"), api: latest("api"), panel: latest("panel") };
  // The e2e figure may have been written after the panel part ran.
  if (all.panel) all.panel.firstRender = readFirstRender(join(results, "panel-first-render.json")) ?? all.panel.firstRender;
  printAddon(all, opts.machine);
  if (opts.write) writeAddonSections(opts.file, all, opts.machine);
}
