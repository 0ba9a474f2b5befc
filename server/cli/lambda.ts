import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { Config } from "../../core/config.ts";
import type { Logger } from "../../core/log.ts";
import { createReleaseClients, destroyReleaseClients } from "./release/clients.ts";
import { deployFunction, formatDeployReport } from "./release/deploy.ts";
import { ReleaseError } from "./release/errors.ts";
import { buildPackage, DEFAULT_ZIP_PATH, writePackage } from "./release/package.ts";
import { formatRollbackReport, rollbackFunction } from "./release/rollback.ts";
import { codeSha256 } from "./release/zip.ts";

const USAGE = `Usage: npm run --silent hoist -- lambda <command>

  package [--bundle-sdk] [--out <file>]   build the deployer into a reproducible zip (default ${DEFAULT_ZIP_PATH});
                                          @aws-sdk/* is left to the nodejs22.x runtime unless --bundle-sdk
  deploy [--bundle-sdk] [--zip <file>] [--json]
                                          create or update the function, publish a version, move the alias,
                                          let the staging bucket invoke it (skips the upload when unchanged)
  rollback [--to <version>] [--json]      move the alias back to the previous published version

Settings: HOIST_LAMBDA_FUNCTION_NAME, HOIST_LAMBDA_ROLE_ARN, HOIST_LAMBDA_MEMORY, HOIST_LAMBDA_ALIAS,
HOIST_LAMBDA_TIMEOUT, plus the deployer's own settings (buckets, tables, limits) — see docs/aws.md.
`;

/** `hoist lambda <package|deploy|rollback>`. Returns the process exit code. */
export async function runLambdaCommand(config: Config, _logger: Logger, args: string[]): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case "package":
        return await packageCommand(rest);
      case "deploy":
        return await deployCommand(config, rest);
      case "rollback":
        return await rollbackCommand(config, rest);
      default:
        process.stderr.write(USAGE);
        return command ? 2 : 0;
    }
  } catch (err) {
    if (err instanceof ReleaseError) {
      process.stderr.write(`hoist lambda ${command}: ${err.message} [${err.code}]\n`);
      return 1;
    }
    throw err;
  }
}

async function packageCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { "bundle-sdk": { type: "boolean", default: false }, out: { type: "string", default: DEFAULT_ZIP_PATH } } });
  const pkg = await buildPackage({ bundleSdk: values["bundle-sdk"] });
  writePackage(pkg, values.out);
  const files = pkg.files.map((f) => `${f.name} ${f.bytes.toLocaleString("en-US")} bytes`).join(", ");
  process.stdout.write(
    `${values.out}: ${pkg.zip.length.toLocaleString("en-US")} bytes zipped (${files})\n` +
      `CodeSha256 ${pkg.codeSha256}\n` +
      `${pkg.external.length > 0 ? `left to the runtime: ${pkg.external.join(", ")}` : "@aws-sdk/* bundled"}\n`,
  );
  return 0;
}

async function deployCommand(config: Config, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { "bundle-sdk": { type: "boolean", default: false }, zip: { type: "string" }, json: { type: "boolean", default: false } },
  });
  const pkg = values.zip ? prebuilt(values.zip) : await buildPackage({ bundleSdk: values["bundle-sdk"] });
  const clients = createReleaseClients(config);
  try {
    const report = await deployFunction(config, clients, pkg);
    process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : formatDeployReport(report));
    return 0;
  } finally {
    destroyReleaseClients(clients);
  }
}

async function rollbackCommand(config: Config, args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { to: { type: "string" }, json: { type: "boolean", default: false } } });
  const clients = createReleaseClients(config);
  try {
    const report = await rollbackFunction(config, clients.lambda, { to: values.to });
    process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : formatRollbackReport(report));
    return 0;
  } finally {
    destroyReleaseClients(clients);
  }
}

function prebuilt(path: string) {
  const zip = readFileSync(path);
  return { zip, codeSha256: codeSha256(zip), files: [] };
}
