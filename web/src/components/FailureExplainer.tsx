import type { DeployView } from "../api/types.ts";
import { reasonHint } from "../deploy/reason-hints.ts";

/** A failed deploy's reason code, the server's sentence, and where to look next. */
export function FailureExplainer({ deploy }: { deploy: DeployView }) {
  const hint = reasonHint(deploy.reason);
  return (
    <section className="notice notice--error" aria-label="Why this deploy failed">
      <p className="notice__title">
        Failed{deploy.reason ? ": " : ""}
        {deploy.reason ? <code className="reason-code">{deploy.reason}</code> : null}
      </p>
      {deploy.reasonMessage ? <p className="reason-message">{deploy.reasonMessage}</p> : null}
      {hint ? <p className="muted">{hint}</p> : null}
      <p>Your live site was not changed.</p>
    </section>
  );
}
