import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
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
 * consumer for signing in to the dashboard as the sandbox's user, and the Forge app installed in
 * workspace `forge-demo` (the sandbox plays Forge: its keys, events and Custom UI). The only place Hoist
 * starts the sandbox outside tests.
 */

export const DEMO = { workspace: "demo", repo: "site" } as const;
/** The workspace local mode installs the Forge app into (the Connect add-on has `demo`). */
export const FORGE_DEMO = { workspace: "forge-demo" } as const;

export type LocalMode = { hoist: RunningHoist; sandbox: Sandbox; repoPageUrl: string; siteUrl: string; dashboardUrl: string; forgeWorkspace?: string; workDir: string; close(): Promise<void> };

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
    // The Forge app against the sandbox's Forge, unless a real app is configured.
    const forgeAppId = config.forge.appId ? undefined : localForgeAppId(config.forge.manifestPath);
    const local: Config = forgeAppId ? { ...withDashboard, forge: { ...config.forge, appId: forgeAppId, jwksUrl: sandbox.forgeJwksUrl } } : withDashboard;
    if (forgeAppId) await ensurePanelBuilt(FORGE_PANEL_DIR, logger, "build:forge");
    hoist = await runHoist(local, logger);
    const running = hoist;
    const { cloneUrl } = await sandbox.createRepo(DEMO.workspace, DEMO.repo);
    await sandbox.installAddon(`${hoist.url}/atlassian-connect.json`, { workspace: DEMO.workspace });
    // The first push needs the installation verified (token exchange right after the install).
    await waitUntil(async () => Boolean(await running.hoist.installations.getActive(clientKeyOf(sandbox))), 15_000);
    if (forgeAppId) {
      sandbox.createWorkspace(FORGE_DEMO.workspace);
      await sandbox.installForgeApp({ manifestPath: config.forge.manifestPath, workspace: FORGE_DEMO.workspace, remoteBaseUrl: hoist.url });
    }
    const workDir = resolve(join(config.dataDir, "demo-site"));
    await prepareDemoRepo(workDir, cloneUrl);
    return {
      hoist,
      sandbox,
      repoPageUrl: `${sandbox.url}/${DEMO.workspace}/${DEMO.repo}`,
      siteUrl: stageUrl(DEMO, PRODUCTION, hoist.config.sitesDomain),
      dashboardUrl: `${hoist.url}/dashboard`,
      ...(forgeAppId ? { forgeWorkspace: FORGE_DEMO.workspace } : {}),
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

const FORGE_PANEL_DIR = fileURLToPath(new URL("../../forge/static/panel", import.meta.url));

/** The app id in forge/manifest.yml (a placeholder until `forge register`): the sandbox signs FITs for it. */
function localForgeAppId(manifestPath: string): string | undefined {
  if (!existsSync(manifestPath)) return undefined;
  const id = (parse(readFileSync(manifestPath, "utf8")) as { app?: { id?: unknown } }).app?.id;
  return typeof id === "string" ? id : undefined;
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
