import { setTimeout as sleep } from "node:timers/promises";
import { type FunctionConfiguration, GetFunctionConfigurationCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { awsCall, ReleaseError } from "./errors.ts";

export type WaitOptions = { pollMs?: number; timeoutMs?: number };

/**
 * Waits until the function accepts the next change: State Active and LastUpdateStatus not
 * InProgress. Lambda refuses UpdateFunctionConfiguration while a code update is still applying
 * (ResourceConflictException), so every change waits here first and after.
 */
export async function waitUntilReady(lambda: LambdaClient, functionName: string, opts: WaitOptions = {}): Promise<FunctionConfiguration> {
  const pollMs = opts.pollMs ?? 1000;
  const until = Date.now() + (opts.timeoutMs ?? 300_000);
  for (;;) {
    const current = await awsCall("lambda:GetFunctionConfiguration", functionName, () =>
      lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName })),
    );
    if (current.State === "Failed" || current.LastUpdateStatus === "Failed") {
      const reason = current.LastUpdateStatusReason ?? current.StateReason ?? "no reason given";
      throw new ReleaseError(
        "release.update_failed",
        `Lambda could not apply the change to ${functionName} (${current.LastUpdateStatusReasonCode ?? current.StateReasonCode ?? "Failed"}: ${reason}). Fix the cause and run \`hoist lambda deploy\` again; the live alias was not moved.`,
      );
    }
    const busy = current.State === "Pending" || current.LastUpdateStatus === "InProgress";
    if (!busy) return current;
    if (Date.now() > until) {
      throw new ReleaseError(
        "release.update_failed",
        `${functionName} is still updating after ${Math.round((opts.timeoutMs ?? 300_000) / 1000)} s — check it in the Lambda console and run the command again.`,
      );
    }
    await sleep(pollMs);
  }
}
