import { GetRoleCommand, type IAMClient } from "@aws-sdk/client-iam";
import { ReleaseError } from "./errors.ts";

const FIX =
  "create it with infra/template.yaml (its DeployerRoleArn output) or set HOIST_LAMBDA_ROLE_ARN to an existing role that lambda.amazonaws.com may assume";

export function roleMissing(roleArn: string): ReleaseError {
  return new ReleaseError("release.role_missing", `The deployer role ${roleArn} does not exist — ${FIX}.`);
}

export function roleNotAssumable(roleArn: string, cause: unknown): ReleaseError {
  return new ReleaseError(
    "release.role_missing",
    `Lambda cannot assume the role ${roleArn}: it does not exist, or its trust policy does not name lambda.amazonaws.com — ${FIX}.`,
    { cause },
  );
}

/**
 * Checks the role before Lambda sees it, because Lambda's own error does not say whether the
 * role is missing or merely untrusted. An operator without iam:GetRole skips the check (returns
 * false) and Lambda's answer is explained instead.
 */
export async function checkRoleExists(iam: IAMClient, roleArn: string): Promise<boolean> {
  const roleName = roleArn.split("/").at(-1)!;
  try {
    await iam.send(new GetRoleCommand({ RoleName: roleName }));
    return true;
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name === "NoSuchEntityException" || name === "NoSuchEntity") throw roleMissing(roleArn);
    return false;
  }
}
