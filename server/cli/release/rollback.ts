import { type FunctionConfiguration, type LambdaClient, ListVersionsByFunctionCommand } from "@aws-sdk/client-lambda";
import type { Config } from "../../../core/config.ts";
import { awsCall, ReleaseError } from "./errors.ts";
import { getAlias, moveAlias } from "./publish.ts";

export type RollbackReport = { functionName: string; alias: string; from: string; to: string; codeSha256?: string };

/**
 * `hoist lambda rollback`: moves the alias to the newest published version older than the one
 * it names (or to `--to <version>`). Versions are immutable, so the code and configuration of
 * that version come back exactly; $LATEST is left alone, and the next deploy publishes again.
 */
export async function rollbackFunction(config: Config, lambda: LambdaClient, opts: { to?: string } = {}): Promise<RollbackReport> {
  const { functionName, alias } = config.lambda;
  const current = await getAlias(lambda, functionName, alias);
  if (!current?.FunctionVersion) {
    throw new ReleaseError(
      "release.function_missing",
      `${functionName} has no alias "${alias}" — nothing to roll back; run \`hoist lambda deploy\` first (or set HOIST_LAMBDA_FUNCTION_NAME / HOIST_LAMBDA_ALIAS).`,
    );
  }
  const versions = await listPublishedVersions(lambda, functionName);
  const from = current.FunctionVersion;
  const target = opts.to ? versions.find((v) => v.Version === opts.to) : versions.filter((v) => Number(v.Version) < Number(from)).at(-1);
  if (!target) {
    const known = versions.map((v) => v.Version).join(", ") || "none";
    throw new ReleaseError(
      "release.no_previous_version",
      opts.to
        ? `${functionName} has no version ${opts.to} (published: ${known}).`
        : `${functionName}:${alias} is at version ${from} and no older version exists (published: ${known}) — nothing to roll back to.`,
    );
  }
  if (target.Version !== from) await moveAlias(lambda, functionName, alias, target.Version!);
  return { functionName, alias, from, to: target.Version!, codeSha256: target.CodeSha256 };
}

/** Published versions (not $LATEST), oldest first. */
async function listPublishedVersions(lambda: LambdaClient, functionName: string): Promise<FunctionConfiguration[]> {
  const versions: FunctionConfiguration[] = [];
  let marker: string | undefined;
  do {
    const page = await awsCall("lambda:ListVersionsByFunction", functionName, () =>
      lambda.send(new ListVersionsByFunctionCommand({ FunctionName: functionName, Marker: marker })),
    );
    versions.push(...(page.Versions ?? []).filter((v) => /^\d+$/.test(v.Version ?? "")));
    marker = page.NextMarker;
  } while (marker);
  return versions.sort((a, b) => Number(a.Version) - Number(b.Version));
}

export function formatRollbackReport(r: RollbackReport): string {
  if (r.from === r.to) return `alias ${r.functionName}:${r.alias} already at version ${r.to}\n`;
  return `alias ${r.functionName}:${r.alias} version ${r.from} → ${r.to}${r.codeSha256 ? ` (CodeSha256 ${r.codeSha256})` : ""}\n`;
}
