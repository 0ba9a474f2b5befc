import { type FormEvent, useEffect, useState } from "react";
import type { Route } from "./Dashboard.tsx";
import type { DashboardClient, RepositoriesResponse } from "./dashboard-client.ts";

/**
 * Connect a repository the user administers: Hoist adds a push webhook in Bitbucket. An access
 * token is optional (recommended): a repository access token with Repositories Read and Write.
 */
export function AddSitePage({ client, go }: { client: DashboardClient; go: (r: Route) => void }) {
  const [q, setQ] = useState("");
  const [repos, setRepos] = useState<RepositoriesResponse["repositories"] | Error>();
  const [next, setNext] = useState<string>();
  const [more, setMore] = useState<Error>();
  const [token, setToken] = useState("");
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    const timer = setTimeout(
      () =>
        client.repositories(q).then(
          (r) => {
            setRepos(r.repositories);
            setNext(r.next);
            setMore(undefined);
          },
          (err: Error) => setRepos(err),
        ),
      200,
    );
    return () => clearTimeout(timer);
  }, [client, q]);

  const connect = async (workspace: string, repo: string) => {
    setBusy(`${workspace}/${repo}`);
    setError(undefined);
    try {
      await client.connect({ workspace, repo, ...(token.trim() ? { accessToken: token.trim() } : {}) });
      go({ page: "site", workspace, repo });
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(undefined);
    }
  };
  const onSubmit = (e: FormEvent) => e.preventDefault();
  const showMore = () => {
    if (!Array.isArray(repos) || !next) return;
    client.repositories(q, next).then(
      (r) => {
        setRepos([...repos, ...r.repositories]);
        setNext(r.next);
      },
      (err: Error) => setMore(err),
    );
  };

  return (
    <section aria-labelledby="add-heading">
      <h1 id="add-heading">Add a site</h1>
      <form onSubmit={onSubmit} className="add-site__form">
        <label htmlFor="repo-search">Repository</label>
        <input id="repo-search" type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="Search repositories you administer" />
        <label htmlFor="access-token">Repository access token (optional, recommended)</label>
        <input id="access-token" type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} />
        <p className="muted">
          In Bitbucket: Repository settings → Security → Access tokens, with Repositories: Read and Write. Without one, Hoist uses your own sign-in to download
          commits and post build statuses.
        </p>
      </form>
      {error && (
        <p className="notice notice--error" role="alert">
          {error}
        </p>
      )}
      {repos instanceof Error && (
        <p className="notice notice--error" role="alert">
          {repos.message}
        </p>
      )}
      {Array.isArray(repos) && repos.length === 0 && <p className="muted">No repository you administer matches.</p>}
      {Array.isArray(repos) && (
        <ul className="site-list">
          {repos.map((r) => (
            <li key={r.siteId} className="site-list__item">
              <span className="site-list__name">{r.siteId}</span>
              {r.connectable ? (
                <button
                  type="button"
                  className="button button--primary"
                  disabled={busy !== undefined}
                  aria-label={`Connect ${r.siteId}`}
                  onClick={() => void connect(r.workspace, r.repo)}
                >
                  {busy === r.siteId ? "Connecting…" : "Connect"}
                </button>
              ) : (
                <span className="muted">{r.why}</span>
              )}
            </li>
          ))}
        </ul>
      )}
      {more && (
        <p className="notice notice--error" role="alert">
          {more.message}
        </p>
      )}
      {Array.isArray(repos) && next && (
        <button type="button" className="button" onClick={showMore}>
          Show more repositories
        </button>
      )}
    </section>
  );
}
