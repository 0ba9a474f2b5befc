import type { DeployView } from "../api/types.ts";
import { progressFacts, TIMEOUT_ADVICE, timeoutHeadline } from "../deploy/timeout.ts";

/** Why a deploy ran out of time, how far it got, and what to do; the live site was not touched. */
export function TimeoutExplainer({ deploy }: { deploy: DeployView }) {
  const p = deploy.progress;
  return (
    <section className="notice notice--warning" aria-label="Why this deploy timed out">
      <p className="notice__title">{timeoutHeadline(deploy)}</p>
      {p?.limit ? <p>Limit hit: {p.limit}.</p> : null}
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
