import type { DeployView } from "../api/types.ts";
import { continuationsOf, notContinuedBecause, runsSentence } from "../deploy/continuation.ts";
import { progressFacts, TIMEOUT_ADVICE, timeoutHeadline } from "../deploy/timeout.ts";

/**
 * Why a deploy ran out of time, how far it got, and what to do; the live site was not touched.
 * Only for `timed_out`: a deploy handed on to new runs is not timed out while it still runs.
 */
export function TimeoutExplainer({ deploy }: { deploy: DeployView }) {
  const p = deploy.progress;
  const continued = continuationsOf(deploy) > 0;
  const message = deploy.reasonMessage;
  // Why it was not handed on again; for a continued deploy whose message is not the usual
  // "Timed out …" (the next run could not be started), the message itself.
  const notAgain = notContinuedBecause(message) ?? (continued && message && !message.startsWith("Timed out") ? message : undefined);
  return (
    <section className="notice notice--warning" aria-label="Why this deploy timed out">
      <p className="notice__title">{timeoutHeadline(deploy)}</p>
      {p?.limit ? <p>Limit hit: {p.limit}{continued ? " in its last run" : ""}.</p> : null}
      {continued ? <p>{runsSentence(deploy)}</p> : null}
      {notAgain ? <p>{notAgain}</p> : null}
      {p ? progressFacts(p).map((fact) => <p key={fact}>{fact}</p>) : null}
      <p>Your live site was not changed.</p>
      <p className="notice__subtitle">What to do</p>
      <ul className="advice">
        {TIMEOUT_ADVICE.map((a) => (
          <li key={a.title}>
            <strong>{a.title}.</strong> {a.body}
            {a.code ? (
              <>
                {" "}
                <code>{a.code}</code>
              </>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
