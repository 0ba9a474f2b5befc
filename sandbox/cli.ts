/**
 * Runs the sandbox by hand:
 *   tsx sandbox/cli.ts --port 7990 --data .hoist/sandbox [--repo acme/site] [--install <descriptor-url>]
 * --repo creates the workspace and repository if missing; --install installs the
 * add-on into that workspace (default workspace: the --repo's, else "acme").
 */
import { parseArgs } from "node:util";
import { pino } from "pino";
import { startSandbox } from "./server.ts";

const USAGE = "usage: tsx sandbox/cli.ts [--port 7990] [--host 127.0.0.1] --data <dir> [--repo ws/repo] [--install <descriptor-url>] [--workspace ws]";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "7990" },
      host: { type: "string", default: "127.0.0.1" },
      data: { type: "string" },
      repo: { type: "string" },
      workspace: { type: "string" },
      install: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help || !values.data) {
    console.error(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const logger = pino({ level: "info" });
  const sandbox = await startSandbox({ port: Number(values.port), host: values.host, dataDir: values.data, logger });
  const [repoWs, repoSlug] = values.repo?.split("/") ?? [];
  const workspace = values.workspace ?? repoWs ?? "acme";
  if (repoWs && repoSlug) {
    const repo = await sandbox.createRepo(repoWs, repoSlug);
    logger.info(`repository page: ${sandbox.url}/${repoWs}/${repoSlug}`);
    logger.info(`push with: git push ${repo.cloneUrl} main`);
  }
  if (values.install) {
    sandbox.createWorkspace(workspace);
    const installed = await sandbox.installAddon(values.install, { workspace });
    logger.info({ addonKey: installed.addonKey, workspace }, "add-on installed");
  }
  logger.info(`sandbox ready at ${sandbox.url} (admin API under ${sandbox.url}/_sandbox/)`);
  const stop = () => void sandbox.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((err: Error) => {
  console.error(`sandbox: ${err.message}`);
  process.exit(1);
});
