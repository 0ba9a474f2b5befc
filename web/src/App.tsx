import { type ReactNode, useCallback, useState } from "react";
import type { ApiClient } from "./api/client.ts";
import type { DeployView, StageView } from "./api/types.ts";
import type { PanelContext } from "./bootstrap/context.ts";
import { shortCommit } from "./components/CommitHash.tsx";
import { DeployHistory } from "./components/DeployHistory.tsx";
import { EmptyState } from "./components/EmptyState.tsx";
import { ErrorState } from "./components/ErrorState.tsx";
import { LiveDeploy } from "./components/LiveDeploy.tsx";
import { LoadingSkeleton } from "./components/LoadingSkeleton.tsx";
import { RollbackDialog } from "./components/RollbackDialog.tsx";
import { TrendChart } from "./components/TrendChart.tsx";
import { useDeployHistory } from "./state/use-deploy-history.ts";
import { useNow } from "./state/use-now.ts";

export const PANEL_ROWS = 5;
export const PAGE_ROWS = 20;

/** Where "All deploys" leads: the Bitbucket repository page if the server said, else our page view. */
function allDeploysHref(context: PanelContext): { href: string; target?: string } {
  if (context.allDeploysUrl) return { href: context.allDeploysUrl, target: "_top" };
  const params = new URLSearchParams(window.location.search);
  params.set("view", "page");
  return { href: `?${params.toString()}` };
}

type Notice = { tone: "success" | "error"; text: string };

/**
 * `allDeploys` replaces the narrow panel's "All deploys" link where a plain link cannot reach the
 * full history (the Forge overview card, which navigates through the Forge bridge instead).
 */
export function App({ client, context, allDeploys }: { client: ApiClient; context: PanelContext; allDeploys?: ReactNode }) {
  const compact = context.view === "panel";
  const history = useDeployHistory(client, compact ? PANEL_ROWS : PAGE_ROWS);
  const { state, load, refresh, addDeploy, setSite } = history;
  const now = useNow();
  const [expandedId, setExpandedId] = useState<string>();
  const [rollback, setRollback] = useState<{ deploy: DeployView; stage: StageView }>();
  const [notice, setNotice] = useState<Notice>();

  const toggle = useCallback((id: string) => setExpandedId((cur) => (cur === id ? undefined : id)), []);
  const openRollback = useCallback((deploy: DeployView, stage: StageView) => setRollback({ deploy, stage }), []);

  const redeploy = useCallback(
    async (deploy: DeployView) => {
      setNotice(undefined);
      try {
        const res = await client.redeploy({ commit: deploy.commit, branch: deploy.branch });
        addDeploy(res.deploy);
        setNotice({ tone: "success", text: `Redeploy of ${shortCommit(deploy.commit)} queued.` });
      } catch (err) {
        setNotice({ tone: "error", text: `Could not redeploy ${shortCommit(deploy.commit)}: ${(err as Error).message}` });
      }
    },
    [client, addDeploy],
  );

  const confirmRollback = useCallback(async () => {
    if (!rollback) return;
    const { deploy, stage } = rollback;
    const res = await client.rollback({ deployId: deploy.deployId, stage: stage.stage, expectedLiveDeployId: stage.liveDeployId });
    setSite(res.site);
    setRollback(undefined);
    setNotice({ tone: "success", text: `${shortCommit(deploy.commit)} is live on ${stage.host} again.` });
    void refresh();
  }, [client, rollback, setSite, refresh]);

  const refreshAfterConflict = useCallback(() => {
    setRollback(undefined);
    void refresh();
  }, [refresh]);

  let body: ReactNode;
  if (state.phase === "loading") {
    body = <LoadingSkeleton rows={compact ? PANEL_ROWS : 8} />;
  } else if (state.phase === "error") {
    body = <ErrorState error={state.error} onRetry={() => void load()} />;
  } else if (state.deploys.length === 0 && !state.site.stages.some((s) => s.live)) {
    body = <EmptyState mainBranch={context.mainBranch} />;
  } else {
    const deploys = compact ? state.deploys.slice(0, PANEL_ROWS) : state.deploys;
    const all = allDeploysHref(context);
    const footer = compact ? (
      <p className="history__footer">
        {allDeploys ?? (
          <a href={all.href} target={all.target}>
            All deploys
          </a>
        )}
      </p>
    ) : state.nextCursor ? (
      <div className="history__footer">
        <button type="button" className="button" onClick={() => void history.loadMore()} disabled={history.loadingMore} aria-busy={history.loadingMore}>
          {history.loadingMore ? "Loading…" : "Load more"}
        </button>
        {history.moreError ? (
          <p className="notice notice--error" role="alert">
            Could not load more deploys: {history.moreError}
          </p>
        ) : null}
      </div>
    ) : null;
    body = (
      <>
        <LiveDeploy site={state.site} deploys={state.deploys} now={now} />
        {compact ? null : <TrendChart deploys={state.deploys} />}
        <DeployHistory
          deploys={deploys}
          stages={state.site.stages}
          client={client}
          now={now}
          expandedId={expandedId}
          onToggle={toggle}
          onRollback={openRollback}
          onRedeploy={redeploy}
          footer={footer}
        />
      </>
    );
  }

  return (
    <main className={`panel panel--${context.view}`} aria-label={`Hoist deploys for ${context.workspace}/${context.repo}`}>
      <div aria-live="polite" className="panel__notices">
        {notice ? (
          <p className={`notice notice--${notice.tone === "success" ? "success" : "error"}`}>
            {notice.text}{" "}
            <button type="button" className="button button--link" onClick={() => setNotice(undefined)} aria-label="Dismiss">
              Dismiss
            </button>
          </p>
        ) : null}
        {history.pollError ? <p className="notice notice--warning">Live updates paused: {history.pollError} Retrying…</p> : null}
      </div>
      {body}
      {rollback && state.phase === "ready" ? (
        <RollbackDialog
          deploy={rollback.deploy}
          stage={rollback.stage}
          onConfirm={confirmRollback}
          onCancel={() => setRollback(undefined)}
          onRefresh={refreshAfterConflict}
        />
      ) : null}
    </main>
  );
}
