import { join, resolve } from "node:path";
import type { Config } from "../../core/config.ts";
import type { Logger } from "../../core/log.ts";
import { PRODUCTION, stageUrl } from "../../core/site.ts";
import { startSandbox, type Sandbox } from "../../sandbox/server.ts";
import { DEFAULT_WEB_DIR } from "../panel/serve-panel.ts";
import { runHoist, type RunningHoist } from "../hoist-server.ts";
import { prepareDemoRepo } from "./demo-repo.ts";
import { ensurePanelBuilt } from "./ensure-panel-built.ts";

/**
 * `npm start` on a machine with nothing configured: the embedded backend, the local Lambda
 * runner, Hoist (add-on + gateway) on PORT, and the Bitbucket sandbox with workspace `demo`,
 * repository `site` holding a small static site, Hoist installed into it. The only place Hoist
 * starts the sandbox outside tests.
 */

export const DEMO = { workspace: "demo", repo: "site" } as const;

export type LocalMode = { hoist: RunningHoist; sandbox: Sandbox; repoPageUrl: string; siteUrl: string; workDir: string; close(): Promise<void> };

export async function startLocalMode(config: Config, logger: Logger): Promise<LocalMode> {
  await ensurePanelBuilt(DEFAULT_WEB_DIR, logger);
  const hoist = await runHoist(config, logger);
  let sandbox: Sandbox | undefined;
  try {
    sandbox = await startSandboxNear(hoist.config, logger);
    const { cloneUrl } = await sandbox.createRepo(DEMO.workspace, DEMO.repo);
    await sandbox.installAddon(`${hoist.url}/atlassian-connect.json`, { workspace: DEMO.workspace });
    // The first push needs the installation verified (token exchange right after the install).
    await waitUntil(async () => Boolean(await hoist.hoist.installations.getActive(clientKeyOf(sandbox!))), 15_000);
    const workDir = resolve(join(config.dataDir, "demo-site"));
    await prepareDemoRepo(workDir, cloneUrl);
    const opened = sandbox;
    return {
      hoist,
      sandbox,
      repoPageUrl: `${sandbox.url}/${DEMO.workspace}/${DEMO.repo}`,
      siteUrl: stageUrl(DEMO, PRODUCTION, hoist.config.sitesDomain),
      workDir,
      close: async () => {
        await opened.close();
        await hoist.close();
      },
    };
  } catch (err) {
    await sandbox?.close();
    await hoist.close();
    throw err;
  }
}

/** The sandbox on PORT+1 when free (stable URLs between runs), else any free port. */
async function startSandboxNear(config: Config, logger: Logger): Promise<Sandbox> {
  const dataDir = join(config.dataDir, "sandbox");
  const log = logger.child({ name: "sandbox" });
  if (config.port > 0 && config.port < 65535) {
    try {
      return await startSandbox({ dataDir, port: config.port + 1, logger: log });
    } catch {
      // taken: fall through
    }
  }
  return startSandbox({ dataDir, port: 0, logger: log });
}

function clientKeyOf(sandbox: Sandbox): string {
  const found = sandbox.installations().find((i) => i.workspace === DEMO.workspace);
  if (!found) throw new Error("the sandbox did not keep Hoist's installation");
  return found.clientKey;
}

async function waitUntil(check: () => Promise<boolean>, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error("Hoist's installation in the sandbox was not verified in time; see the log above");
    await new Promise((r) => setTimeout(r, 50));
  }
}
