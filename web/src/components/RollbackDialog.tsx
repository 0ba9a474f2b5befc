import { useRef, useState } from "react";
import { ApiRequestError } from "../api/errors.ts";
import type { DeployView, StageView } from "../api/types.ts";
import { CommitHash, shortCommit } from "./CommitHash.tsx";
import { Dialog } from "./Dialog.tsx";

export const CONFLICT_MESSAGE = "Someone else changed the live deploy — refresh";

type Props = {
  deploy: DeployView;
  stage: StageView;
  /** Sends the rollback; rejects with ApiRequestError on failure. */
  onConfirm: () => Promise<void>;
  onCancel: () => void;
  /** Reloads the panel after a conflict, then closes the dialog. */
  onRefresh: () => void;
};

/** "Make <commit> live again?" — the one confirm before a rollback, which is instant. */
export function RollbackDialog({ deploy, stage, onConfirm, onCancel, onRefresh }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ conflict: boolean; message: string }>();
  const cancelButton = useRef<HTMLButtonElement>(null);

  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await onConfirm();
    } catch (err) {
      const conflict = err instanceof ApiRequestError && err.status === 409;
      setError({ conflict, message: conflict ? CONFLICT_MESSAGE : (err as Error).message });
      setBusy(false);
    }
  };

  const current = stage.live;
  return (
    <Dialog title={`Roll back to ${shortCommit(deploy.commit)}?`} onCancel={onCancel} initialFocus={cancelButton}>
      <p>
        <strong>{stage.host}</strong> will serve commit <CommitHash commit={deploy.commit} />
        {deploy.message ? <> ({deploy.message.split("\n", 1)[0]})</> : null} again, right away.
      </p>
      {current ? (
        <p className="muted">
          It now serves <CommitHash commit={current.commit} />. You can roll forward again by redeploying that commit.
        </p>
      ) : null}
      {error ? (
        <p className="notice notice--error" role="alert">
          {error.message}
        </p>
      ) : null}
      <div className="dialog__actions">
        {error?.conflict ? (
          <button type="button" className="button button--primary" onClick={onRefresh}>
            Refresh
          </button>
        ) : (
          <button type="button" className="button button--primary" onClick={confirm} disabled={busy} aria-busy={busy}>
            {busy ? "Rolling back…" : "Roll back"}
          </button>
        )}
        <button type="button" className="button button--subtle" onClick={onCancel} ref={cancelButton}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}
