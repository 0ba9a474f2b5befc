import { setTimeout as sleep } from "node:timers/promises";
import type { IAMClient } from "@aws-sdk/client-iam";
import {
  CreateFunctionCommand,
  type FunctionConfiguration,
  GetFunctionConfigurationCommand,
  type LambdaClient,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import { awsCall, ReleaseError } from "./errors.ts";
import { configurationChanges, type DesiredFunction } from "./function-config.ts";
import { checkRoleExists, roleNotAssumable } from "./role.ts";
import { type WaitOptions, waitUntilReady } from "./wait-ready.ts";
import type { Package } from "./zip.ts";

export type FunctionOutcome = {
  functionArn: string;
  created: boolean;
  /** CodeSha256 of $LATEST before this run; absent when the function was created. */
  previousCodeSha256?: string;
  codeUploaded: boolean;
  configChanges: string[];
};

/**
 * Makes $LATEST carry the package and the desired configuration: creates the function when
 * missing; otherwise uploads the code only when its CodeSha256 differs, waits for the update to
 * finish, then applies configuration changes (two updates may not overlap).
 */
export async function ensureFunction(
  deps: { lambda: LambdaClient; iam: IAMClient },
  desired: DesiredFunction,
  pkg: Package,
  wait: WaitOptions = {},
): Promise<FunctionOutcome> {
  const name = desired.functionName;
  const current = await findFunction(deps.lambda, name);
  if (!current) return createFunction(deps, desired, pkg, wait);

  if (desired.role && desired.role !== current.Role) await checkRoleExists(deps.iam, desired.role);
  let codeUploaded = false;
  if (current.CodeSha256 !== pkg.codeSha256) {
    await waitUntilReady(deps.lambda, name, wait);
    await awsCall("lambda:UpdateFunctionCode", name, () =>
      deps.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: pkg.zip, Publish: false })),
    );
    codeUploaded = true;
  }
  const ready = await waitUntilReady(deps.lambda, name, wait);
  const configChanges = configurationChanges(ready, desired);
  if (configChanges.length > 0) {
    await awsCall(
      "lambda:UpdateFunctionConfiguration",
      name,
      () => deps.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, ...configurationInput(desired) })),
      (err) => (desired.role && isRoleRejection(err) ? roleNotAssumable(desired.role, err) : undefined),
    );
    await waitUntilReady(deps.lambda, name, wait);
  }
  return { functionArn: unqualified(ready.FunctionArn!), created: false, previousCodeSha256: current.CodeSha256, codeUploaded, configChanges };
}

async function findFunction(lambda: LambdaClient, name: string): Promise<FunctionConfiguration | undefined> {
  try {
    return await awsCall("lambda:GetFunctionConfiguration", name, () => lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name })));
  } catch (err) {
    if (((err as ReleaseError).cause as { name?: string })?.name === "ResourceNotFoundException") return undefined;
    throw err;
  }
}

async function createFunction(
  deps: { lambda: LambdaClient; iam: IAMClient },
  desired: DesiredFunction,
  pkg: Package,
  wait: WaitOptions,
): Promise<FunctionOutcome> {
  const role = desired.role;
  if (!role) {
    throw new ReleaseError(
      "release.role_not_set",
      `The function ${desired.functionName} does not exist yet and HOIST_LAMBDA_ROLE_ARN is not set — create the stack from infra/template.yaml and set HOIST_LAMBDA_ROLE_ARN to its DeployerRoleArn output.`,
    );
  }
  const roleChecked = await checkRoleExists(deps.iam, role);
  // A role created seconds ago may not be assumable yet (IAM is eventually consistent): when it
  // is known to exist, retry Lambda's refusal a few times before calling it a bad role.
  const delaysMs = roleChecked ? [2000, 4000, 8000] : [];
  for (let attempt = 0; ; attempt++) {
    try {
      const created = await awsCall(
        "lambda:CreateFunction",
        desired.functionName,
        () =>
          deps.lambda.send(
            new CreateFunctionCommand({ FunctionName: desired.functionName, Code: { ZipFile: pkg.zip }, Publish: false, ...configurationInput(desired) }),
          ),
        (err) => (isRoleRejection(err) ? roleNotAssumable(role, err) : undefined),
      );
      await waitUntilReady(deps.lambda, desired.functionName, wait);
      return { functionArn: unqualified(created.FunctionArn!), created: true, codeUploaded: true, configChanges: [] };
    } catch (err) {
      const delay = delaysMs[attempt];
      if (!(err instanceof ReleaseError && err.code === "release.role_missing") || delay === undefined) throw err;
      await sleep(delay);
    }
  }
}

function configurationInput(desired: DesiredFunction) {
  return {
    Runtime: desired.runtime as "nodejs22.x",
    Handler: desired.handler,
    Role: desired.role,
    MemorySize: desired.memoryMb,
    Timeout: desired.timeoutSeconds,
    Environment: { Variables: desired.environment },
    Description: "Hoist deployer: staged archive → site (hoist lambda deploy)",
  };
}

function isRoleRejection(err: { name?: string; message?: string }): boolean {
  return err.name === "InvalidParameterValueException" && /role/i.test(err.message ?? "");
}

/** arn:...:function:name[:qualifier] → arn:...:function:name */
export function unqualified(functionArn: string): string {
  return functionArn.split(":").slice(0, 7).join(":");
}
