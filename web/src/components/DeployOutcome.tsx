import type { DeployView } from "../api/types.ts";
import { currentRun } from "../deploy/continuation.ts";
import { FailureExplainer } from "./FailureExplainer.tsx";
import { ProgressBar } from "./ProgressBar.tsx";
import { TimeoutExplainer } from "./TimeoutExplainer.tsx";

/** The part of a deploy that needs explaining: where it is, or why it stopped. */
export function DeployOutcome({ deploy }: { deploy: DeployView }) {
  switch (deploy.status) {
    case "running":
    case "queued":
      return <ProgressBar progress={deploy.progress} run={currentRun(deploy)} />;
    // Only a deploy that truly ran out of time: never one still running or done after hand-offs.
    case "timed_out":
      return <TimeoutExplainer deploy={deploy} />;
    case "failed":
      return <FailureExplainer deploy={deploy} />;
    case "superseded":
      return (
        <p className="notice notice--neutral">
          A newer push to this branch replaced this deploy before it went live.
          {deploy.reasonMessage ? ` ${deploy.reasonMessage}` : ""}
        </p>
      );
    default:
      return null;
  }
}
