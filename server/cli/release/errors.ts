/**
 * Errors of `hoist lambda ...` that reach an operator: a stable code, and a sentence naming the
 * missing permission or resource and the fix.
 */
export type ReleaseErrorCode =
  | "release.invalid_setting"
  | "release.no_credentials"
  | "release.access_denied"
  | "release.role_not_set"
  | "release.role_missing"
  | "release.function_missing"
  | "release.staging_bucket_missing"
  | "release.update_failed"
  | "release.no_previous_version"
  | "release.aws_error";

export class ReleaseError extends Error {
  override name = "ReleaseError";
  constructor(
    readonly code: ReleaseErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

type AwsErrorShape = { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };

/**
 * Runs one AWS call and turns its failure into a ReleaseError that says which action on which
 * resource failed. `explain` may map service-specific errors first (a missing bucket, a role).
 */
export async function awsCall<T>(
  action: string,
  resource: string,
  run: () => Promise<T>,
  explain?: (err: AwsErrorShape) => ReleaseError | undefined,
): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ReleaseError) throw err;
    const shape = (err ?? {}) as AwsErrorShape;
    throw explain?.(shape) ?? explainAwsError(shape, action, resource, err);
  }
}

function explainAwsError(err: AwsErrorShape, action: string, resource: string, cause: unknown): ReleaseError {
  const what = `${err.name ?? "Error"}: ${err.message ?? String(err)}`;
  if (err.name === "CredentialsProviderError" || /Could not load credentials/i.test(err.message ?? "")) {
    return new ReleaseError(
      "release.no_credentials",
      `No AWS credentials found for ${action} — set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) and AWS_REGION, then run the command again.`,
      { cause },
    );
  }
  const denied = err.name === "AccessDeniedException" || err.name === "AccessDenied" || err.$metadata?.httpStatusCode === 403;
  if (denied) {
    const passRole = /iam:PassRole/i.test(err.message ?? "");
    const needed = passRole ? "iam:PassRole on the deployer role" : action;
    return new ReleaseError(
      "release.access_denied",
      `AWS refused ${action} on ${resource} (${what}). Allow ${needed} for the identity running this command — docs/aws.md lists the operator's permissions.`,
      { cause },
    );
  }
  return new ReleaseError("release.aws_error", `${action} on ${resource} failed (${what}).`, { cause });
}
