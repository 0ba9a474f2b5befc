import type { DeployRun, DeployView } from "../api/types.ts";
import { plural } from "../format/count.ts";

/**
 * Deploys that outlived one run of the deployer: at its function's time limit a run saves a
 * checkpoint and hands the deploy on to a new run (a continuation), which picks up where it stopped.
 */

type Continued = Pick<DeployView, "continuations">;

/** How many times the deploy was handed on to a new run (0 for a deploy that needed one run). */
export function continuationsOf(d: Continued): number {
  const n = d.continuations ?? 0;
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

/** The run a deploy is in (or ended in), 1-based: one more than its hand-offs. */
export function currentRun(d: Continued): number {
  return continuationsOf(d) + 1;
}

/** "Continued 1 time", "Continued 3 times"; undefined for a deploy that needed one run. */
export function continuedLine(d: Continued): string | undefined {
  const n = continuationsOf(d);
  return n > 0 ? `Continued ${plural(n, "time")}` : undefined;
}

/** How a run ended, as the panel says it. */
export function runEnding(ended: DeployRun["ended"]): string {
  return ended === "continued" ? "handed on" : "finished";
}

/** For a timed-out deploy that was continued: how many runs it had before it stopped. */
export function runsSentence(d: Continued): string | undefined {
  const n = continuationsOf(d);
  if (n === 0) return undefined;
  return `It had ${plural(n + 1, "run")}: it was handed on to a new run ${plural(n, "time")} at the function's time limit before it stopped.`;
}

/**
 * Why the deployer did not hand the deploy on again, from its reason message ("… It was not
 * continued again: <why>. …"); undefined when the message does not say.
 */
export function notContinuedBecause(reasonMessage: string | undefined): string | undefined {
  const m = /It was not continued again: (.+?)\.(?:\s|$)/.exec(reasonMessage ?? "");
  return m?.[1] ? `It was not continued again: ${m[1]}.` : undefined;
}
