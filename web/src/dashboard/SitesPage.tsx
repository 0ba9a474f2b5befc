import { useEffect, useState } from "react";
import { StatusLozenge } from "../components/StatusLozenge.tsx";
import { formatBytes } from "../format/bytes.ts";
import { formatCount } from "../format/count.ts";
import type { Route } from "./Dashboard.tsx";
import type { DashboardClient, SiteSummary } from "./dashboard-client.ts";

/** Every site the signed-in user can read in Bitbucket: live URL, latest deploy, when, how big. */
export function SitesPage({ client, go }: { client: DashboardClient; go: (r: Route) => void }) {
  const [sites, setSites] = useState<SiteSummary[] | Error>();
  useEffect(() => {
    client.sites().then(
      (r) => setSites(r.sites),
      (err: Error) => setSites(err),
    );
  }, [client]);
  return (
    <section aria-labelledby="sites-heading">
      <div className="dashboard__heading">
        <h1 id="sites-heading">Sites</h1>
        <a
          className="button button--primary"
          href="/dashboard/add"
          onClick={(e) => {
            e.preventDefault();
            go({ page: "add" });
          }}
        >
          Add site
        </a>
      </div>
      {sites === undefined && <p className="muted">Loading your sites…</p>}
      {sites instanceof Error && (
        <p className="notice notice--error" role="alert">
          {sites.message}
        </p>
      )}
      {Array.isArray(sites) && sites.length === 0 && <p className="muted">No sites yet. Add a repository to deploy it on every push.</p>}
      {Array.isArray(sites) && sites.length > 0 && (
        <ul className="site-list">
          {sites.map((site) => (
            <li key={site.siteId} className="site-list__item">
              <a
                href={`/dashboard/sites/${site.workspace}/${site.repo}`}
                onClick={(e) => {
                  e.preventDefault();
                  go({ page: "site", workspace: site.workspace, repo: site.repo });
                }}
                className="site-list__name"
              >
                {site.siteId}
              </a>
              {site.latest ? <StatusLozenge status={site.latest.status} /> : <span className="muted">No deploys yet</span>}
              <a href={site.url} target="_blank" rel="noreferrer" className="site-list__url">
                {site.url}
              </a>
              {site.latest?.stats && (
                <span className="muted">
                  {formatCount(site.latest.stats.files)} files · {formatBytes(site.latest.stats.originalBytes)}
                </span>
              )}
              {site.latest && (
                <time className="muted" dateTime={site.latest.finishedAt ?? site.latest.queuedAt}>
                  {new Date(site.latest.finishedAt ?? site.latest.queuedAt).toLocaleString()}
                </time>
              )}
              {site.connected === false && <span className="muted">Disconnected</span>}
              {site.attention && (
                <span className="notice notice--error" role="status">
                  Needs attention: {site.attention}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
