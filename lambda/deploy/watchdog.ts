import { setMaxListeners } from "node:events";

/**
 * Lambda kills a function at its deadline without warning, so the only way to leave a useful
 * record is to stop ourselves first: a timer that fires `margin` before the deadline and aborts
 * the pipeline, leaving time to write "timed out" with progress (the seed's 58-of-60-seconds
 * trick, generalised to any function timeout).
 */
export class TimeBudgetExceeded extends Error {
  override name = "TimeBudgetExceeded";
  constructor(readonly budgetMs: number) {
    super(`time budget of ${budgetMs} ms used up`);
  }
}

export function startWatchdog(remainingMs: number, marginMs: number): { signal: AbortSignal; budgetMs: number; stop(): void } {
  const controller = new AbortController();
  // Every upload in flight listens on this one signal; that is by design, not a leak.
  setMaxListeners(0, controller.signal);
  // Short functions keep three quarters of their time for work: the margin never eats it all.
  const budgetMs = Math.max(0, remainingMs - Math.min(marginMs, remainingMs / 4));
  const timer = setTimeout(() => controller.abort(new TimeBudgetExceeded(budgetMs)), budgetMs);
  return { signal: controller.signal, budgetMs, stop: () => clearTimeout(timer) };
}
