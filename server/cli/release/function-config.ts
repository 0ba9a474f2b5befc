import type { FunctionConfiguration } from "@aws-sdk/client-lambda";
import { type Config, configToEnv } from "../../../core/config.ts";
import { HANDLER, RUNTIME } from "./bundle.ts";
import { ReleaseError } from "./errors.ts";

/** Lambda's ceiling for a function timeout, in seconds. */
const MAX_TIMEOUT_SECONDS = 900;

/** The settings `hoist lambda deploy` owns on the function; anything else is left as it is. */
export type DesiredFunction = {
  functionName: string;
  runtime: string;
  handler: string;
  /** Absent when the function exists and HOIST_LAMBDA_ROLE_ARN is unset: its role is kept. */
  role?: string;
  memoryMb: number;
  timeoutSeconds: number;
  environment: Record<string, string>;
};

export function desiredFunction(config: Config): DesiredFunction {
  if (config.lambdaTimeoutSeconds > MAX_TIMEOUT_SECONDS) {
    throw new ReleaseError(
      "release.invalid_setting",
      `HOIST_LAMBDA_TIMEOUT is ${config.lambdaTimeoutSeconds} s but Lambda allows at most ${MAX_TIMEOUT_SECONDS} s — lower it.`,
    );
  }
  return {
    functionName: config.lambda.functionName,
    runtime: RUNTIME,
    handler: HANDLER,
    role: config.lambda.roleArn,
    memoryMb: config.lambda.memoryMb,
    timeoutSeconds: config.lambdaTimeoutSeconds,
    environment: functionEnvironment(config),
  };
}

/**
 * The function's environment: the operator's config, as the handler's `loadConfig()` will read
 * it back. The function always talks to AWS, whatever backend the operator's shell selects.
 */
export function functionEnvironment(config: Config): Record<string, string> {
  return { ...configToEnv(config), NODE_ENV: "production", HOIST_BACKEND: "aws" };
}

/**
 * What differs between a function's configuration and the desired one, as readable names.
 * Environment differences name the variables, never their values (a log URL may carry a token).
 */
export function configurationChanges(current: FunctionConfiguration, desired: DesiredFunction): string[] {
  const changes: string[] = [];
  const field = (name: string, from: unknown, to: unknown) => {
    if (from !== to) changes.push(`${name} ${String(from ?? "unset")} → ${String(to)}`);
  };
  field("Runtime", current.Runtime, desired.runtime);
  field("Handler", current.Handler, desired.handler);
  if (desired.role) field("Role", current.Role, desired.role);
  field("MemorySize", current.MemorySize, desired.memoryMb);
  field("Timeout", current.Timeout, desired.timeoutSeconds);
  const env = environmentChanges(current.Environment?.Variables ?? {}, desired.environment);
  if (env.length > 0) changes.push(`Environment ${env.join(", ")}`);
  return changes;
}

function environmentChanges(current: Record<string, string>, desired: Record<string, string>): string[] {
  const names = [...new Set([...Object.keys(current), ...Object.keys(desired)])].sort();
  return names.flatMap((name) => {
    if (!(name in desired)) return [`-${name}`];
    if (!(name in current)) return [`+${name}`];
    return current[name] === desired[name] ? [] : [`~${name}`];
  });
}
