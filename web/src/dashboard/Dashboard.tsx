import { useCallback, useEffect, useMemo, useState } from "react";
import { ApiClient } from "../api/client.ts";
import { ApiRequestError } from "../api/errors.ts";
import { App } from "../App.tsx";
import { AddSitePage } from "./AddSitePage.tsx";
import type { DashboardClient, MeResponse } from "./dashboard-client.ts";
import { SitesPage } from "./SitesPage.tsx";

/**
 * The dashboard at HOIST_BASE_URL/dashboard: the same panel as in Bitbucket (App), opened
 * top-level and signed in with Bitbucket. Only the bootstrap differs: who is signed in, a few
 * client-side pages, and the panel API at /dashboard/api with the session's CSRF token.
 */

export type Route = { page: "sites" } | { page: "add" } | { page: "site"; workspace: string; repo: string };

export function routeOf(path: string): Route {
  const site = /^\/dashboard\/sites\/([^/]+)\/([^/]+)\/?$/.exec(path);
  if (site) return { page: "site", workspace: decodeURIComponent(site[1]!), repo: decodeURIComponent(site[2]!) };
  if (/^\/dashboard\/add\/?$/.test(path)) return { page: "add" };
  return { page: "sites" };
}

export function pathOf(route: Route): string {
  if (route.page === "site") return `/dashboard/sites/${encodeURIComponent(route.workspace)}/${encodeURIComponent(route.repo)}`;
  return route.page === "add" ? "/dashboard/add" : "/dashboard";
}

export function Dashboard({ client }: { client: DashboardClient }) {
  const [me, setMe] = useState<MeResponse | "signed-out" | "error">();
  const [route, setRoute] = useState<Route>(() => routeOf(window.location.pathname));

  useEffect(() => {
    client.me().then(setMe, (err: unknown) => setMe(err instanceof ApiRequestError && err.status === 401 ? "signed-out" : "error"));
    const onPop = () => setRoute(routeOf(window.location.pathname));
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, [client]);

  const go = useCallback((next: Route) => {
    window.history.pushState(null, "", pathOf(next));
    setRoute(next);
  }, []);

  if (me === undefined) return <p className="muted dashboard__loading">Loading…</p>;
  if (me === "error") return <p className="notice notice--error">Hoist could not be reached. Reload the page to try again.</p>;
  if (me === "signed-out") return <SignIn />;
  return (
    <div className="dashboard">
      <header className="dashboard__bar">
        <a
          href="/dashboard"
          className="dashboard__brand"
          onClick={(e) => {
            e.preventDefault();
            go({ page: "sites" });
          }}
        >
          Hoist
        </a>
        <nav aria-label="Account" className="dashboard__account">
          <span>{me.user.displayName}</span>
          <button type="button" className="button button--subtle" onClick={() => void client.signOut().finally(() => setMe("signed-out"))}>
            Sign out
          </button>
        </nav>
      </header>
      <main className="dashboard__main">
        {route.page === "sites" && <SitesPage client={client} go={go} />}
        {route.page === "add" && <AddSitePage client={client} go={go} />}
        {route.page === "site" && <SitePage client={client} workspace={route.workspace} repo={route.repo} go={go} />}
      </main>
    </div>
  );
}

function SignIn() {
  return (
    <main className="dashboard__signin">
      <h1>Hoist</h1>
      <p>Push to Bitbucket; seconds later your site is live. Sign in to see your sites and connect repositories.</p>
      <a className="button button--primary" href="/auth/bitbucket">
        Sign in with Bitbucket
      </a>
    </main>
  );
}

function SitePage({ client, workspace, repo, go }: { client: DashboardClient; workspace: string; repo: string; go: (r: Route) => void }) {
  const api = useMemo(() => new ApiClient({ basePath: "/dashboard/api", csrf: client.csrfToken, workspace, repo }), [client, workspace, repo]);
  const [notice, setNotice] = useState<string>();
  const disconnect = async () => {
    if (!window.confirm(`Disconnect ${workspace}/${repo}? Pushes stop deploying; the live site and its history stay.`)) return;
    try {
      await client.disconnect(workspace, repo);
      go({ page: "sites" });
    } catch (err) {
      setNotice((err as Error).message);
    }
  };
  return (
    <>
      <nav aria-label="Breadcrumb" className="dashboard__crumbs">
        <a
          href="/dashboard"
          onClick={(e) => {
            e.preventDefault();
            go({ page: "sites" });
          }}
        >
          Sites
        </a>{" "}
        / {workspace}/{repo}
        <button type="button" className="button button--subtle dashboard__disconnect" onClick={() => void disconnect()}>
          Disconnect
        </button>
      </nav>
      {notice && (
        <p className="notice notice--error" role="alert">
          {notice}
        </p>
      )}
      <App client={api} context={{ workspace, repo, view: "page", mainBranch: "main" }} />
    </>
  );
}
