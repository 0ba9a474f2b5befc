/**
 * The work a webhook starts after it has answered: a few pushes at a time, the rest waiting in
 * order. A burst of deliveries (50 pushes at once) would otherwise run 50 pipelines on the
 * event loop together, and the next delivery's answer — which Bitbucket waits at most 10 s for —
 * would queue behind all of them.
 */
export class PushWork {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly concurrency = 4) {}

  /** Runs `task` when a slot is free; its failure is the task's own business (log inside it). */
  schedule(task: () => Promise<void>): void {
    const run = (async () => {
      // Let requests already waiting on the socket be answered before this work takes the loop.
      await new Promise<void>((go) => setImmediate(go));
      if (this.running >= this.concurrency) await new Promise<void>((go) => this.waiting.push(go));
      this.running += 1;
      try {
        await task();
      } finally {
        this.running -= 1;
        this.waiting.shift()?.();
      }
    })();
    this.pending.add(run);
    void run.finally(() => this.pending.delete(run));
  }

  /** Resolves when everything scheduled so far (and anything it scheduled) has finished. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}
