import { useCallback, useEffect, useState } from "react";
import type { ApiClient } from "../api/client.ts";
import type { ApiRequestError } from "../api/errors.ts";
import { type DeployDetailResponse, type DeployView, isActiveStatus, type StageView } from "../api/types.ts";
import { rollbackTarget } from "../deploy/rollback.ts";
import { POLL_MS } from "../state/use-deploy-history.ts";
import { shortCommit } from "./CommitHash.tsx";
import { DeployLog } from "./DeployLog.tsx";
import { DeployOutcome } from "./DeployOutcome.tsx";
import { DeployRuns } from "./DeployRuns.tsx";
import { DeploySizes } from "./DeploySizes.tsx";
import { ExternalLink } from "./ExternalLink.tsx";
import { FileChanges } from "./FileChanges.tsx";

type Detail = DeployDetailResponse["deploy"];

export type DeployActions = {
  onRollback: (deploy: DeployView, stage: StageView) => void;
  onRedeploy: (deploy: DeployView) => Promise<void>;
};

type Props = DeployActions & { id: string; client: ApiClient; summary: DeployView; stages: readonly StageView[] };

/** One deploy opened up: outcome, sizes, links, actions, its runs (when it had more than one), changed files and the log. */
export function DeployDetail({ id, client, summary, stages, onRollback, onRedeploy }: Props) {
  const [detail, setDetail] = useState<Detail>();
  const [error, setError] = useState<string>();
  const [redeploying, setRedeploying] = useState(false);

  const load = useCallback(async () => {
    try {
      const res = await client.deploy(summary.deployId);
      setDetail(res.deploy);
      setError(undefined);
    } catch (err) {
      setError((err as ApiRequestError).message);
    }
  }, [client, summary.deployId]);

  useEffect(() => {
    void load();
  }, [load]);

  // The row's summary is polled by the history; refetch the detail when it moves on.
  const status = summary.status;
  const active = isActiveStatus(status) || (detail !== undefined && isActiveStatus(detail.status));
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => void load(), POLL_MS);
    return () => clearInterval(timer);
  }, [active, load]);

  const deploy: DeployView = detail ? { ...detail, status: summary.status, live: summary.live } : summary;
  const target = rollbackTarget(deploy, stages);

  const redeploy = async () => {
    setRedeploying(true);
    try {
      await onRedeploy(deploy);
    } finally {
      setRedeploying(false);
    }
  };

  return (
    <div className="detail" id={id}>
      <DeployOutcome deploy={deploy} />
      {deploy.stats ? <DeploySizes stats={deploy.stats} /> : null}
      <div className="detail__actions">
        {target ? (
          <button type="button" className="button button--primary" onClick={() => onRollback(deploy, target)}>
            Roll back to {shortCommit(deploy.commit)}
          </button>
        ) : null}
        {isActiveStatus(deploy.status) ? null : (
          <button type="button" className="button" onClick={redeploy} disabled={redeploying} aria-busy={redeploying}>
            {redeploying ? "Redeploying…" : `Redeploy ${shortCommit(deploy.commit)}`}
          </button>
        )}
        {deploy.commitUrl ? (
          <ExternalLink href={deploy.commitUrl} label={`Build status of commit ${shortCommit(deploy.commit)} in Bitbucket`}>
            Build status
          </ExternalLink>
        ) : null}
        {deploy.url && deploy.status === "succeeded" ? <ExternalLink href={deploy.url}>Open stage</ExternalLink> : null}
      </div>
      {error ? (
        <p className="notice notice--error" role="alert">
          Could not load this deploy's details: {error}{" "}
          <button type="button" className="button button--link" onClick={() => void load()}>
            Retry
          </button>
        </p>
      ) : null}
      {!detail && !error ? <p className="muted">Loading details…</p> : null}
      <DeployRuns deploy={deploy} />
      {detail?.changes ? (
        <section aria-label="Changed files">
          <h4 className="detail__heading">Changed files</h4>
          <FileChanges changes={detail.changes} truncated={detail.changesTruncated} />
        </section>
      ) : null}
      {detail ? (
        <section aria-label="Log">
          <h4 className="detail__heading">Log</h4>
          <DeployLog lines={detail.log} />
        </section>
      ) : null}
    </div>
  );
}
