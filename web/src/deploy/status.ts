import type { DeployStatus } from "../api/types.ts";

export type LozengeTone = "success" | "removed" | "inprogress" | "moved" | "default" | "new";

/** How each status reads and which Atlassian lozenge colour it takes. */
export const STATUS_LOOK: Record<DeployStatus, { label: string; tone: LozengeTone }> = {
  queued: { label: "Queued", tone: "new" },
  running: { label: "Running", tone: "inprogress" },
  succeeded: { label: "Succeeded", tone: "success" },
  failed: { label: "Failed", tone: "removed" },
  timed_out: { label: "Timed out", tone: "moved" },
  superseded: { label: "Superseded", tone: "default" },
};

/** A queued deploy whose archive is being downloaded from Bitbucket. */
export const DOWNLOADING: { label: string; tone: LozengeTone } = { label: "Downloading", tone: "inprogress" };
