import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import { ConfigError, loadConfig, type Config } from "../core/config.ts";
import { createLogger, type Logger } from "../core/log.ts";
import { DEFAULT_WEB_DIR } from "./panel/serve-panel.ts";
import { runHoist } from "./hoist-server.ts";

/**
 * `npm start`: one of the two entry points of server/ (the other is cli/hoist.ts). Without
 * NODE_ENV=production: local mode (everything on this machine, see local/local-mode.ts). With it:
 * Hoist against real AWS and Bitbucket, after the production checks below pass. Runs under tsx in
 * both (no bundle step for the server).
 */

function productionProblems(config: Config): string[] {
  const problems: string[] = [];
  if (config.backend !== "aws") problems.push("HOIST_BACKEND must be aws in production");
  if (!config.baseUrl.startsWith("https://")) problems.push("HOIST_BASE_URL must be the add-on's public https URL (Bitbucket requires https)");
  if (/localhost|127\.0\.0\.1/.test(config.sitesDomain)) problems.push("HOIST_SITES_DOMAIN must be the public domain sites are served under (e.g. hoist-sites.example.com)");
  if (!existsSync(join(DEFAULT_WEB_DIR, "index.html"))) problems.push("the panel is not built: run `npm run build` first");
  return problems;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.log.level, httpUrl: config.log.httpUrl, name: "hoist" });
  if (config.production) return startProduction(config, logger);
  const { startLocalMode } = await import("./local/local-mode.ts");
  const local = await startLocalMode(config, logger);
  onSignal(local.close);
  const workDir = relative(process.cwd(), local.workDir) || ".";
  process.stdout.write(
    [
      "",
      "Hoist is running locally.",
      "",
      `  Repository page (Bitbucket sandbox):  ${local.repoPageUrl}`,
      `  Live site:                            ${local.siteUrl}`,
      `  Dashboard (sign in with Bitbucket):    ${local.dashboardUrl}`,
      `  Add-on descriptor:                    ${local.hoist.url}/atlassian-connect.json`,
      ...(local.forgeWorkspace ? [`  Forge app installed in workspace:     ${local.forgeWorkspace} (its repositories deploy on push; the Deploys page is on each repository page)`] : []),
      "",
      "Change the site and push to deploy it:",
      "",
      `  cd ${workDir} && echo '<p>Hello again</p>' >> index.html && git commit -am "Say hello" && git push origin main`,
      "",
      "Press Ctrl+C to stop.",
      "",
    ].join("\n"),
  );
}

async function startProduction(config: Config, logger: Logger): Promise<void> {
  const problems = productionProblems(config);
  if (problems.length > 0) throw new ConfigError(`Hoist will not start in production: ${problems.join("; ")}.`);
  const running = await runHoist(config, logger);
  onSignal(running.close);
  logger.info({ url: running.url, sitesDomain: running.config.sitesDomain }, `Hoist is listening; install it from ${running.url}/atlassian-connect.json`);
}

function onSignal(close: () => Promise<void>): void {
  let closing = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (closing) process.exit(1);
      closing = true;
      close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

main().catch((err: Error) => {
  process.stderr.write(`hoist: ${err.message}\n`);
  process.exit(1);
});
