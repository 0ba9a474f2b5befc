import type { Config } from "../../../core/config.ts";
import type { ReleaseClients } from "./clients.ts";
import { ensureFunction } from "./function.ts";
import { desiredFunction } from "./function-config.ts";
import { ensureStagingNotification } from "./notification.ts";
import { grantS3Invoke } from "./permission.ts";
import { publishAndMoveAlias } from "./publish.ts";
import type { WaitOptions } from "./wait-ready.ts";
import type { Package } from "./zip.ts";

export type DeployReport = {
  functionName: string;
  functionArn: string;
  aliasArn: string;
  codeSha256: string;
  zipBytes: number;
  function: "created" | "updated" | "unchanged";
  code: "uploaded" | "unchanged";
  previousCodeSha256?: string;
  configChanges: string[];
  version: string;
  previousVersion?: string;
  published: boolean;
  permission: "added" | "replaced" | "unchanged";
  notification: "set" | "updated" | "unchanged";
  warnings: string[];
};

/**
 * `hoist lambda deploy`: the function's $LATEST gets the package and configuration, a version
 * is published when anything changed, the alias moves to it, and only then are S3's grant and
 * the staging bucket's notification pointed at the alias. Every step is idempotent, so a run
 * that failed half-way is finished by running it again.
 */
export async function deployFunction(config: Config, clients: ReleaseClients, pkg: Package, wait: WaitOptions = {}): Promise<DeployReport> {
  const desired = desiredFunction(config);
  const fn = await ensureFunction(clients, desired, pkg, wait);
  const alias = await publishAndMoveAlias(clients.lambda, desired, pkg.codeSha256, config.lambda.alias);
  const [, partition, , , account] = fn.functionArn.split(":");
  const permission = await grantS3Invoke(clients.lambda, {
    functionName: desired.functionName,
    alias: config.lambda.alias,
    bucketArn: `arn:${partition}:s3:::${config.buckets.staging}`,
    account: account!,
  });
  const notification = await ensureStagingNotification(clients.s3, config.buckets.staging, alias.aliasArn);
  const changed = fn.codeUploaded || fn.configChanges.length > 0;
  return {
    functionName: desired.functionName,
    functionArn: fn.functionArn,
    aliasArn: alias.aliasArn,
    codeSha256: pkg.codeSha256,
    zipBytes: pkg.zip.length,
    function: fn.created ? "created" : changed ? "updated" : "unchanged",
    code: fn.codeUploaded ? "uploaded" : "unchanged",
    previousCodeSha256: fn.previousCodeSha256,
    configChanges: fn.configChanges,
    version: alias.version,
    previousVersion: alias.previousVersion,
    published: alias.published,
    permission,
    notification,
    warnings: configWarnings(config),
  };
}

/** Settings whose defaults suit local mode but not a real function. */
function configWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (config.sitesDomain.startsWith("localhost")) {
    warnings.push(`HOIST_SITES_DOMAIN is ${config.sitesDomain}: deploy URLs will point at localhost — set it to the domain your sites are served under.`);
  }
  return warnings;
}

export function formatDeployReport(r: DeployReport): string {
  const code =
    r.code === "uploaded"
      ? `uploaded ${r.zipBytes.toLocaleString("en-US")} bytes, CodeSha256 ${r.codeSha256}${r.previousCodeSha256 ? ` (was ${r.previousCodeSha256})` : ""}`
      : `unchanged, CodeSha256 ${r.codeSha256} (no upload)`;
  const alias =
    r.previousVersion === undefined
      ? `created → version ${r.version}`
      : r.previousVersion === r.version
        ? `unchanged at version ${r.version}`
        : `version ${r.previousVersion} → ${r.version}`;
  const lines = [
    `function      ${r.functionName}: ${r.function} (${r.functionArn})`,
    `code          ${code}`,
    `configuration ${r.configChanges.length > 0 ? r.configChanges.join("; ") : r.function === "created" ? "set" : "unchanged"}`,
    `version       ${r.published ? `published ${r.version}` : "none published (nothing changed)"}`,
    `alias         ${alias} (${r.aliasArn})`,
    `s3 permission ${r.permission}`,
    `notification  ${r.notification} (staging ObjectCreated → alias)`,
    ...r.warnings.map((w) => `warning       ${w}`),
  ];
  return `${lines.join("\n")}\n`;
}
