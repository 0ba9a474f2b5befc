/**
 * Bounds the work in flight: at most `maxTasks` uploads at once, holding at most `maxBytes`
 * of file bodies in memory between them. A caller waits for room before it reads a file, so
 * memory stays bounded whatever the archive holds.
 */
export class Budget {
  private tasks = 0;
  private bytes = 0;
  private readonly waiting: { bytes: number; resolve: () => void }[] = [];

  constructor(
    readonly maxTasks: number,
    readonly maxBytes: number,
  ) {}

  /** Resolves with a release function once the task fits. A task larger than maxBytes waits for an empty budget. */
  async acquire(bytes: number): Promise<() => void> {
    if (this.waiting.length > 0 || !this.fits(bytes)) {
      await new Promise<void>((resolve) => this.waiting.push({ bytes, resolve }));
    } else {
      this.take(bytes);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.tasks -= 1;
      this.bytes -= bytes;
      this.admit();
    };
  }

  private fits(bytes: number): boolean {
    if (this.tasks >= this.maxTasks) return false;
    return this.bytes === 0 || this.bytes + bytes <= this.maxBytes;
  }

  private take(bytes: number): void {
    this.tasks += 1;
    this.bytes += bytes;
  }

  private admit(): void {
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.bytes)) {
      const next = this.waiting.shift()!;
      this.take(next.bytes);
      next.resolve();
    }
  }
}

/** Runs tasks in the background and remembers the first failure; `settle()` waits for all of them. */
export class TaskGroup {
  private readonly running = new Set<Promise<void>>();
  private firstError: unknown;

  spawn(task: () => Promise<void>): void {
    const p = task().catch((err) => {
      this.firstError ??= err;
    });
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  /** Throws the first failure of any task spawned so far, without waiting. */
  check(): void {
    if (this.firstError !== undefined) throw this.firstError;
  }

  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
    this.check();
  }
}
