import { parseArgs } from "node:util";
import { loadConfig } from "../../core/config.ts";
import { createLogger } from "../../core/log.ts";
import { DeployRecords } from "../../core/deploy-records.ts";
import { collectGarbage } from "../../core/gc.ts";
import { Sites } from "../../core/sites.ts";
import { openBackend } from "../backend.ts";

/**
 * The `hoist` command (`npm run hoist -- …`): one of the two entry points of server/ (the other is
 * start.ts). Each subcommand lives in its own file beside this one; `lambda …` in release/.
 */

const USAGE = `Usage: npm run --silent hoist -- <command>

  setup                                   create the configured backend's buckets and tables (idempotent)
  deploy <archive.tar.gz> --site <workspace>/<repo> [--branch main] [--stage <branch>] [--commit <sha>]
         [--timeout <seconds>] [--dir <folder>]
                                          stage an archive and run the real deployer on it; prints one JSON line
  serve                                   run the hosting gateway alone on PORT
  gc [--dry-run]                          delete deploys past retention, and the blobs and staged archives
                                          nothing retained needs; prints what it frees (one JSON line)
  lambda <package|deploy|rollback> ...    build and ship the deployer to AWS Lambda
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const config = loadConfig();
  const logger = createLogger({ level: config.log.level === "info" ? "warn" : config.log.level, name: "hoist-cli", stderr: true });
  switch (command) {
    case "setup": {
      const backend = await openBackend(config, logger);
      process.stdout.write(`${JSON.stringify({ backend: config.backend, buckets: config.buckets, tables: config.tables })}\n`);
      await backend.close();
      return 0;
    }
    case "deploy": {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          site: { type: "string" },
          branch: { type: "string", default: "main" },
          stage: { type: "string" },
          commit: { type: "string" },
          timeout: { type: "string", default: String(config.lambdaTimeoutSeconds) },
          dir: { type: "string" },
        },
      });
      const timeoutSeconds = Number(values.timeout);
      if (positionals.length !== 1 || !values.site || !Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
        process.stderr.write(USAGE);
        return 2;
      }
      const { deployArchive } = await import("./deploy.ts");
      const result = await deployArchive(config, logger, {
        archive: positionals[0]!,
        site: values.site,
        branch: values.branch!,
        stage: values.stage,
        commit: values.commit,
        timeoutSeconds,
        directory: values.dir,
      });
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return result.status === "succeeded" ? 0 : 1;
    }
    case "gc": {
      const { values } = parseArgs({ args: rest, options: { "dry-run": { type: "boolean", default: false } } });
      const backend = await openBackend(config, logger);
      try {
        const deps = { config: backend.config, clients: backend.clients, logger, records: new DeployRecords(backend.clients.db, backend.config.tables.deploys), sites: new Sites(backend.clients.db, backend.config.tables.sites) };
        const report = await collectGarbage(deps, { dryRun: values["dry-run"] });
        process.stdout.write(`${JSON.stringify(report)}\n`);
      } finally {
        await backend.close();
      }
      return 0;
    }
    case "serve": {
      const { runServe } = await import("./serve.ts");
      await runServe(config, createLogger({ level: config.log.level, name: "hoist-gateway" }));
      return -1; // keeps running
    }
    case "lambda": {
      const { runLambdaCommand } = await import("./lambda.ts");
      return runLambdaCommand(config, logger, rest);
    }
    default:
      process.stderr.write(USAGE);
      return command ? 2 : 0;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: Error) => {
    process.stderr.write(`hoist: ${err.message}\n`);
    process.exit(1);
  },
);
