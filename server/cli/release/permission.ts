import { AddPermissionCommand, GetPolicyCommand, type LambdaClient, RemovePermissionCommand } from "@aws-sdk/client-lambda";
import { awsCall } from "./errors.ts";

/** The statement id of the grant; also used by infra/template.yaml's permission resource. */
export const S3_INVOKE_STATEMENT_ID = "hoist-staging-bucket-invoke";

type Statement = { Sid?: string; Principal?: { Service?: string } | string; Condition?: Record<string, Record<string, string>> };

/**
 * Lets S3 invoke the alias for events of the staging bucket only. SourceAccount is included
 * because bucket ARNs carry no account: without it a bucket of the same name in another account,
 * after ours were deleted, could invoke the function. Idempotent: an equal grant is kept, a
 * different one under our statement id is replaced.
 */
export async function grantS3Invoke(
  lambda: LambdaClient,
  input: { functionName: string; alias: string; bucketArn: string; account: string },
): Promise<"added" | "replaced" | "unchanged"> {
  const target = `${input.functionName}:${input.alias}`;
  const sourceArn = input.bucketArn;
  const existing = (await readPolicy(lambda, input.functionName, input.alias)).find((s) => s.Sid === S3_INVOKE_STATEMENT_ID);
  if (existing && grantsBucket(existing, sourceArn, input.account)) return "unchanged";
  if (existing) {
    await awsCall("lambda:RemovePermission", target, () =>
      lambda.send(new RemovePermissionCommand({ FunctionName: input.functionName, Qualifier: input.alias, StatementId: S3_INVOKE_STATEMENT_ID })),
    );
  }
  try {
    await awsCall("lambda:AddPermission", target, () =>
      lambda.send(
        new AddPermissionCommand({
          FunctionName: input.functionName,
          Qualifier: input.alias,
          StatementId: S3_INVOKE_STATEMENT_ID,
          Action: "lambda:InvokeFunction",
          Principal: "s3.amazonaws.com",
          SourceArn: sourceArn,
          SourceAccount: input.account,
        }),
      ),
    );
  } catch (err) {
    // A concurrent deploy added the same statement between our read and our write.
    if (((err as { cause?: { name?: string } }).cause?.name ?? "") !== "ResourceConflictException") throw err;
    return "unchanged";
  }
  return existing ? "replaced" : "added";
}

async function readPolicy(lambda: LambdaClient, functionName: string, alias: string): Promise<Statement[]> {
  try {
    const out = await lambda.send(new GetPolicyCommand({ FunctionName: functionName, Qualifier: alias }));
    return (JSON.parse(out.Policy ?? "{}") as { Statement?: Statement[] }).Statement ?? [];
  } catch (err) {
    if ((err as { name?: string }).name === "ResourceNotFoundException") return [];
    return awsCall("lambda:GetPolicy", `${functionName}:${alias}`, () => Promise.reject(err));
  }
}

function grantsBucket(statement: Statement, sourceArn: string, account: string): boolean {
  const principal = typeof statement.Principal === "string" ? statement.Principal : statement.Principal?.Service;
  const conditions = Object.values(statement.Condition ?? {});
  const has = (key: string, value: string) => conditions.some((c) => Object.entries(c).some(([k, v]) => k.toLowerCase() === key && v === value));
  return principal === "s3.amazonaws.com" && has("aws:sourcearn", sourceArn) && has("aws:sourceaccount", account);
}
