import type { ApiRequestError } from "../api/errors.ts";

function advice(error: ApiRequestError): string {
  if (error.unreachable) return "Hoist could not be reached. It may be restarting, or your connection dropped.";
  if (error.status === 401 || error.status === 403) return "Your session has expired. Reload the page to sign in again.";
  if (error.status === 404) return "Hoist does not know this repository yet. Is the app installed for this workspace?";
  return "Hoist answered with an error.";
}

/** The API could not be used: say why in words, keep the code for support, offer Retry. */
export function ErrorState({ error, onRetry }: { error: ApiRequestError; onRetry: () => void }) {
  return (
    <section className="error-state" role="alert" aria-labelledby="error-heading">
      <h2 id="error-heading" className="empty__title">
        Couldn’t load deploys
      </h2>
      <p>{advice(error)}</p>
      <p className="muted">
        {error.message} <code>{error.code}</code>
      </p>
      <button type="button" className="button button--primary" onClick={onRetry}>
        Retry
      </button>
    </section>
  );
}
