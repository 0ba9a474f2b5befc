import { join, resolve } from "node:path";
import type { Config } from "../../core/config.ts";
import type { Logger } from "../../core/log.ts";
import { PRODUCTION, stageUrl } from "../../core/site.ts";
import { startSandbox, type Sandbox } from "../../sandbox/server.ts";
import { DEFAULT_WEB_DIR } from "../panel/serve-panel.ts";
import { runHoist, withPort, type RunningHoist } from "../hoist-server.ts";
import { freePort } from "../listen.ts";
import { prepareDemoRepo } from "./demo-repo.ts";
import { ensurePanelBuilt } from "./ensure-panel-built.ts";

/**
 * `npm start` on a machine with nothing configured: the embedded backend, the local Lambda
 * runner, Hoist (add-on + gateway + dashboard) on PORT, and the Bitbucket sandbox with workspace
 * `demo`, repository `site` holding a small static site, Hoist installed into it, and an OAuth
 * consumer for signing in to the dashboard as the sandbox's user. The only place Hoist
 * starts the sandbox outside tests.
 */

export const DEMO = { workspace: "demo", repo: "site" } as const;

export type LocalMode = { hoist: RunningHoist; sandbox: Sandbox; repoPageUrl: string; siteUrl: string; dashboardUrl: string; workDir: string; close(): Promise<void> };

export async function startLocalMode(given: Config, logger: Logger): Promise<LocalMode> {
  await ensurePanelBuilt(DEFAULT_WEB_DIR, logger);
  // The sandbox's OAuth consumer names Hoist's callback URL, so the port is chosen first.
  const config = given.port === 0 ? withPort(given, await freePort(), false) : given;
  const sandbox = await startSandboxNear(config, logger);
  let hoist: RunningHoist | undefined;
  try {
    // Sign in with Bitbucket against the sandbox, unless an OAuth consumer is configured already.
    const consumer = config.oauth ? undefined : sandbox.createOAuthConsumer({ name: "Hoist (local)", callbackUrl: `${config.baseUrl}/auth/bitbucket/callback` });
    const withDashboard: Config = consumer
      ? { ...config, oauth: { clientId: consumer.key, clientSecret: consumer.secret }, bitbucket: { url: sandbox.url, apiUrl: sandbox.url } }
      : config;
    hoist = await runHoist(withDashboard, logger);
    const running = hoist;
    const { cloneUrl } = await sandbox.createRepo(DEMO.workspace, DEMO.repo);
    await sandbox.installAddon(`${hoist.url}/atlassian-connect.json`, { workspace: DEMO.workspace });
    // The first push needs the installation verified (token exchange right after the install).
    await waitUntil(async () => Boolean(await running.hoist.installations.getActive(clientKeyOf(sandbox))), 15_000);
    const workDir = resolve(join(config.dataDir, "demo-site"));
    await prepareDemoRepo(workDir, cloneUrl);
    return {
      hoist,
      sandbox,
      repoPageUrl: `${sandbox.url}/${DEMO.workspace}/${DEMO.repo}`,
      siteUrl: stageUrl(DEMO, PRODUCTION, hoist.config.sitesDomain),
      dashboardUrl: `${hoist.url}/dashboard`,
      workDir,
      close: async () => {
        await sandbox.close();
        await running.close();
      },
    };
  } catch (err) {
    await sandbox.close();
    await hoist?.close();
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
