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

/**
 * `signal` aborts everything at the budget. `stopReading` fires a little earlier (an eighth of the
 * budget, at most 2 s): a run that will hand its deploy on to a continuation stops taking new
 * entries from the archive then, so the uploads already in flight can land and be checkpointed
 * instead of being cut off and done again by the next run.
 */
export function startWatchdog(remainingMs: number, marginMs: number): { signal: AbortSignal; stopReading: AbortSignal; budgetMs: number; stop(): void } {
  const controller = new AbortController();
  const reading = new AbortController();
  // Every upload in flight listens on this one signal; that is by design, not a leak.
  setMaxListeners(0, controller.signal);
  // Short functions keep three quarters of their time for work: the margin never eats it all.
  const budgetMs = Math.max(0, remainingMs - Math.min(marginMs, remainingMs / 4));
  const readingMs = Math.max(0, budgetMs - Math.min(2000, budgetMs / 8));
  const timer = setTimeout(() => controller.abort(new TimeBudgetExceeded(budgetMs)), budgetMs);
  const readingTimer = setTimeout(() => reading.abort(new TimeBudgetExceeded(readingMs)), readingMs);
  return {
    signal: controller.signal,
    stopReading: reading.signal,
    budgetMs,
    stop: () => {
      clearTimeout(timer);
      clearTimeout(readingTimer);
    },
  };
}
