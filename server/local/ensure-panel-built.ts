import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "../../core/log.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Local mode on a fresh clone: the panel (web/) is built on first start. A failed build does not
 * stop Hoist; the panel routes then answer with how to build it.
 */
export async function ensurePanelBuilt(webDir: string, logger: Logger, script: "build:web" | "build:forge" = "build:web"): Promise<boolean> {
  if (existsSync(join(webDir, "index.html"))) return true;
  logger.info(`building the deploy panel (npm run ${script}), once…`);
  const ok = await new Promise<boolean>((resolve) => {
    const child = spawn("npm", ["run", "--silent", script], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
    child.on("exit", (code) => resolve(code === 0));
    child.on("error", () => resolve(false));
  });
  if (!ok) logger.warn(`the panel could not be built; run \`npm run ${script}\` and reload the repository page`);
  return ok && existsSync(join(webDir, "index.html"));
}
