import type { DeployStatus } from "../api/types.ts";
import { DOWNLOADING, type LozengeTone, STATUS_LOOK } from "../deploy/status.ts";

export function Lozenge({ tone, bold = false, children }: { tone: LozengeTone; bold?: boolean; children: string }) {
  return <span className={`lozenge lozenge--${tone}${bold ? " lozenge--bold" : ""}`}>{children}</span>;
}

export function StatusLozenge({ status, phase }: { status: DeployStatus; phase?: "downloading" }) {
  const look = status === "queued" && phase === "downloading" ? DOWNLOADING : (STATUS_LOOK[status] ?? { label: String(status), tone: "default" as const });
  return <Lozenge tone={look.tone}>{look.label}</Lozenge>;
}

export function LiveLozenge() {
  return (
    <Lozenge tone="success" bold>
      Live
    </Lozenge>
  );
}
