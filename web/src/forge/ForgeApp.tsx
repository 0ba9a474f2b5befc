import { useCallback, useEffect, useMemo, useState } from "react";
import { ApiClient, type FetchLike } from "../api/client.ts";
import { ApiRequestError } from "../api/errors.ts";
import type { SiteResponse } from "../api/types.ts";
import { App } from "../App.tsx";
import type { PanelContext } from "../bootstrap/context.ts";
import { CommitHash } from "../components/CommitHash.tsx";
import { ErrorState } from "../components/ErrorState.tsx";
import { ExternalLink } from "../components/ExternalLink.tsx";
import { LoadingSkeleton } from "../components/LoadingSkeleton.tsx";
import { FORGE_API, ForgeApi, type ForgeRepository } from "./forge-api.ts";
import { ForgeContextError, type ForgePanelContext, readForgeContext } from "./forge-context.ts";

/**
 * The panel as Hoist's Forge app shows it inside Bitbucket: Forge's context says which module
 * (Deploys page, overview card, repository settings) and which repository; Hoist says what the
 * viewing user may do there; then the same panel as the Connect add-on and the dashboard, or the
 * settings view. Every call goes through `fetch`, the invokeRemote adapter (invoke-fetch.ts).
 */

export type ForgeAppProps = {
  /** @forge/bridge `view.getContext`. */
  loadContext: () => Promise<unknown>;
  /** invokeRemoteFetch(invokeRemote). */
  fetch: FetchLike;
  /** Opens the Deploys page (the bridge's router); when absent or failing, the card says where to find it. */
  openDeploys?: () => Promise<void>;
};

type State =
  | { phase: "loading" }
  | { phase: "context-error"; message: string }
  | { phase: "error"; error: ApiRequestError }
  | { phase: "ready"; context: ForgePanelContext; repository: ForgeRepository };

function asApiError(err: unknown): ApiRequestError {
  if (err instanceof ApiRequestError) return err;
  return new ApiRequestError(0, "panel.unexpected", err instanceof Error ? err.message : String(err));
}

export function ForgeApp({ loadContext, fetch, openDeploys }: ForgeAppProps) {
  const api = useMemo(() => new ForgeApi(fetch), [fetch]);
  const [state, setState] = useState<State>({ phase: "loading" });

  const load = useCallback(async () => {
    setState({ phase: "loading" });
    let context: ForgePanelContext;
    try {
      context = readForgeContext(await loadContext());
    } catch (err) {
      setState({
        phase: "context-error",
        message: err instanceof ForgeContextError ? err.message : `Bitbucket did not give Hoist its context: ${String(err)}`,
      });
      return;
    }
    try {
      setState({ phase: "ready", context, repository: await api.repository(context.repositoryUuid) });
    } catch (err) {
      setState({ phase: "error", error: asApiError(err) });
    }
  }, [api, loadContext]);

  useEffect(() => {
    void load();
  }, [load]);

  // One ApiClient per repository, kept across renders (the panel polls through it).
  const workspace = state.phase === "ready" ? state.repository.workspace : undefined;
  const repo = state.phase === "ready" ? state.repository.repo : undefined;
  const client = useMemo(() => (workspace && repo ? new ApiClient({ basePath: FORGE_API, workspace, repo, fetch }) : undefined), [workspace, repo, fetch]);

  if (state.phase === "loading") return <LoadingSkeleton rows={5} />;
  if (state.phase === "context-error") {
    return (
      <p className="notice notice--error" role="alert">
        {state.message}
      </p>
    );
  }
  if (state.phase === "error" || !client) {
    const error = state.phase === "error" ? state.error : new ApiRequestError(0, "panel.unexpected", "The panel lost track of its repository.");
    return <ErrorState error={error} onRetry={() => void load()} />;
  }

  const { context, repository } = state;
  if (context.view === "settings") {
    return (
      <ForgeSettings
        api={api}
        client={client}
        uuid={context.repositoryUuid}
        repository={repository}
        onChange={(connected) => setState({ ...state, repository: { ...repository, connected } })}
      />
    );
  }
  if (!repository.connected) return <NotConnected repository={repository} />;
  const panelContext: PanelContext = { workspace: repository.workspace, repo: repository.repo, view: context.view, mainBranch: "main" };
  return <App client={client} context={panelContext} allDeploys={context.view === "panel" ? <AllDeploys open={openDeploys} /> : undefined} />;
}

function NotConnected({ repository }: { repository: ForgeRepository }) {
  return (
    <main className="panel panel--page" aria-label={`Hoist deploys for ${repository.workspace}/${repository.repo}`}>
      <section className="empty" aria-labelledby="not-connected-heading">
        <h2 id="not-connected-heading" className="empty__title">
          Hoist is not deploying this repository
        </h2>
        <p>{repository.why ?? "A repository admin can connect it in Repository settings → Hoist; pushes then deploy within seconds."}</p>
      </section>
    </main>
  );
}

/** "All deploys" on the overview card: the Deploys page through Forge's router, or where to find it. */
function AllDeploys({ open }: { open?: () => Promise<void> }) {
  const [failed, setFailed] = useState(!open);
  if (failed || !open) {
    return (
      <span className="muted" role="status">
        Every deploy is under <strong>Deploys</strong> in the repository menu.
      </span>
    );
  }
  return (
    <button type="button" className="button button--link" onClick={() => void open().catch(() => setFailed(true))}>
      All deploys
    </button>
  );
}

type Site = SiteResponse["site"];

/** Repository settings → Hoist: connected or not, what the site serves, and Connect / Disconnect for admins. */
export function ForgeSettings({
  api,
  client,
  uuid,
  repository,
  onChange,
}: {
  api: ForgeApi;
  client: ApiClient;
  uuid: string;
  repository: ForgeRepository;
  onChange: (connected: boolean) => void;
}) {
  const [site, setSite] = useState<Site | Error>();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const { connected } = repository;

  useEffect(() => {
    let live = true;
    client.site().then(
      (res) => live && setSite(res.site),
      (err: unknown) => live && setSite(err instanceof Error ? err : new Error(String(err))),
    );
    return () => {
      live = false;
    };
  }, [client]);

  const change = async (next: boolean) => {
    setPending(true);
    setError(undefined);
    setDone(undefined);
    try {
      const now = await api.setConnected(uuid, next);
      onChange(now);
      setDone(now ? "Connected: the next push deploys." : "Disconnected: pushes no longer deploy. What is live stays live.");
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setPending(false);
    }
  };

  const production = site instanceof Error || !site ? undefined : site.stages.find((s) => s.stage === "production");
  const branches = site instanceof Error || !site ? [] : site.stages.filter((s) => s.stage !== "production");
  const mayAdminister = repository.mayAdminister !== false;

  return (
    <main className="panel panel--page" aria-labelledby="hoist-settings-heading">
      <h2 id="hoist-settings-heading" className="section-heading">
        Hoist for {repository.workspace}/{repository.repo}
      </h2>
      <p>
        {connected ? (
          <>
            <strong>Connected.</strong> Every push to this repository deploys with Hoist.
          </>
        ) : (
          <>
            <strong>Not connected.</strong> Pushes to this repository do not deploy.
          </>
        )}
      </p>
      {repository.why ? <p className="notice notice--warning">{repository.why}</p> : null}

      <section aria-labelledby="hoist-site-heading">
        <h3 id="hoist-site-heading" className="detail__heading">
          Site
        </h3>
        {site === undefined ? <p className="muted">Loading the site…</p> : null}
        {site instanceof Error ? <p className="muted">No site details: {site.message}</p> : null}
        {site && !(site instanceof Error) ? (
          <ul className="stages">
            <li className="stages__item">
              <span className="row__branch">production</span>
              {production ? (
                <>
                  <ExternalLink href={production.url} label={`Open production (${production.host}) in a new tab`}>
                    {production.host}
                  </ExternalLink>
                  {production.live ? (
                    <span>
                      serves <span className="row__branch">{production.live.branch}</span> at <CommitHash commit={production.live.commit} />
                    </span>
                  ) : (
                    <span className="muted">nothing live yet</span>
                  )}
                </>
              ) : (
                <span className="muted">Production deploys from main; nothing live yet.</span>
              )}
            </li>
            {branches.length > 0 ? (
              <li className="stages__item">
                <span className="muted">
                  {branches.length} branch {branches.length === 1 ? "stage" : "stages"}: {branches.map((s) => s.stage).join(", ")}
                </span>
              </li>
            ) : null}
          </ul>
        ) : null}
      </section>

      {mayAdminister ? (
        <p>
          <button
            type="button"
            className={connected ? "button" : "button button--primary"}
            onClick={() => void change(!connected)}
            disabled={pending}
            aria-busy={pending}
          >
            {pending ? (connected ? "Disconnecting…" : "Connecting…") : connected ? "Disconnect" : "Connect"}
          </button>
        </p>
      ) : (
        <p className="muted">Only a repository admin in Bitbucket can connect or disconnect Hoist.</p>
      )}
      <div aria-live="polite">{done ? <p className="notice notice--success">{done}</p> : null}</div>
      {error ? (
        <p className="notice notice--error" role="alert">
          {error}
        </p>
      ) : null}
    </main>
  );
}
