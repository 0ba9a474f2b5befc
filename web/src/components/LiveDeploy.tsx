import { type DeployView, isActiveStatus, type SiteResponse, type StageView } from "../api/types.ts";
import { currentRun } from "../deploy/continuation.ts";
import { timeoutHeadline } from "../deploy/timeout.ts";
import { CommitHash } from "./CommitHash.tsx";
import { ExternalLink } from "./ExternalLink.tsx";
import { ProgressBar } from "./ProgressBar.tsx";
import { RelativeTime } from "./RelativeTime.tsx";
import { StatusLozenge } from "./StatusLozenge.tsx";

type Site = SiteResponse["site"];
const PRODUCTION = "production";

/** The deploy to show beside what is live: one in progress first, else the newest push. */
function latestFor(stage: string, deploys: readonly DeployView[]): { latest?: DeployView; waiting: number } {
  const ofStage = deploys.filter((d) => d.stage === stage);
  const running = ofStage.find((d) => d.status === "running");
  const waiting = ofStage.filter((d) => d.status === "queued" && d !== running).length;
  return { latest: running ?? ofStage[0], waiting: running ? waiting : Math.max(0, waiting - 1) };
}

/** The newest push to a stage when it is not what the stage serves: in progress, or why not. */
function LatestPush({ latest, waiting, now }: { latest: DeployView; waiting: number; now: number }) {
  const why =
    latest.status === "timed_out"
      ? timeoutHeadline(latest)
      : latest.status === "failed"
        ? (latest.reason ?? "Failed")
        : undefined;
  return (
    <div className="live__latest">
      <p className="live__line">
        <span>{isActiveStatus(latest.status) ? "Deploying" : "Latest push"}</span>
        <StatusLozenge status={latest.status} phase={latest.phase} />
        <CommitHash commit={latest.commit} />
        <span className="row__branch">{latest.branch}</span>
        <RelativeTime iso={latest.queuedAt} now={now} />
        {waiting > 0 ? <span className="muted">· {waiting} more queued</span> : null}
      </p>
      {why ? <p className={`row__outcome row__outcome--${latest.status}`}>{why} — the live site was not changed.</p> : null}
      {isActiveStatus(latest.status) ? <ProgressBar progress={latest.progress} run={currentRun(latest)} /> : null}
    </div>
  );
}

function StageCard({ stage, deploys, now }: { stage: StageView; deploys: readonly DeployView[]; now: number }) {
  const live = stage.live;
  const { latest, waiting } = latestFor(stage.stage, deploys);
  const showLatest = latest && latest.deployId !== stage.liveDeployId && (!live || latest.deployId > live.deployId);
  return (
    <div className="live__card">
      <div className="live__header">
        <h2 className="section-heading">{stage.stage === PRODUCTION ? "Live site" : `Branch ${stage.stage}`}</h2>
        <ExternalLink href={stage.url} label={`Open ${stage.host} in a new tab`}>
          {stage.host}
        </ExternalLink>
      </div>
      {live ? (
        <>
          <p className="live__line">
            <StatusLozenge status={live.status} />
            <CommitHash commit={live.commit} />
            <span className="row__branch">{live.branch}</span>
            <RelativeTime iso={live.finishedAt ?? live.queuedAt} now={now} />
          </p>
          {live.message ? <p className="live__message">{live.message.split("\n", 1)[0]}</p> : null}
        </>
      ) : (
        <p className="muted">Nothing is live on this stage yet.</p>
      )}
      {showLatest ? <LatestPush latest={latest} waiting={waiting} now={now} /> : null}
    </div>
  );
}

/** Up top: what each stage serves right now, production first, branch stages as links. */
export function LiveDeploy({ site, deploys, now }: { site: Site; deploys: readonly DeployView[]; now: number }) {
  const production = site.stages.find((s) => s.stage === PRODUCTION);
  const branches = site.stages.filter((s) => s.stage !== PRODUCTION);
  return (
    <section className="live" aria-label="Live deploy">
      {production ? <StageCard stage={production} deploys={deploys} now={now} /> : null}
      {branches.length > 0 ? (
        <div className="live__branches">
          <h3 className="detail__heading">Branch stages</h3>
          <ul className="stages">
            {branches.map((s) => (
              <li key={s.stage} className="stages__item">
                <span className="row__branch">{s.stage}</span>
                <ExternalLink href={s.url} label={`Open branch stage ${s.stage} (${s.host}) in a new tab`}>
                  {s.host}
                </ExternalLink>
                {s.live ? (
                  <>
                    <CommitHash commit={s.live.commit} />
                    <RelativeTime iso={s.live.finishedAt ?? s.live.queuedAt} now={now} />
                  </>
                ) : (
                  <span className="muted">nothing live</span>
                )}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </section>
  );
}
