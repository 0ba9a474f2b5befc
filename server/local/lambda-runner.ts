import { fork, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { processEnvForWorkers } from "../../core/config.ts";
import type { Logger } from "../../core/log.ts";

/**
 * Runs the real deployer handler the way Lambda does, on this machine:
 *  - each invocation runs in a worker process (kept warm between invocations, like a container);
 *  - at the function timeout the worker is killed without warning (SIGKILL), like Lambda;
 *  - asynchronous invocations (S3 notifications) that fail or time out are retried twice,
 *    after `retryDelaysMs` (Lambda waits about 1 and 2 minutes; locally we wait seconds), and
 *    never before the failed attempt's deadline has passed (its claim on a deploy lasts until then);
 *  - a handler may start a continuation of its work (lambda/deploy/continuation.ts): an
 *    asynchronous invocation with the same function timeout, as `Invoke` with
 *    InvocationType=Event is in AWS. An asynchronous invocation settles when its continuations have.
 */

export type InvokeOutcome = { ok: true; result: unknown } | { ok: false; error: { name: string; message: string }; killed: boolean };

type Worker = { child: ChildProcess; ready: Promise<void> };

export type LocalLambdaOptions = {
  env: Record<string, string>;
  timeoutSeconds: number;
  logger: Logger;
  retryDelaysMs?: number[];
  maxIdle?: number;
};

const WORKER = fileURLToPath(new URL(`./lambda-worker${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url));

export class LocalLambda {
  private readonly idle: Worker[] = [];
  private readonly busy = new Set<Worker>();
  private closed = false;

  constructor(private readonly opts: LocalLambdaOptions) {}

  /** Process ids of the workers running an invocation now (tests kill them, as a crash would). */
  get busyPids(): number[] {
    return [...this.busy].flatMap((worker) => (worker.child.pid === undefined ? [] : [worker.child.pid]));
  }

  /**
   * One synchronous invocation, with an optional per-call timeout (for `hoist deploy --timeout`).
   * Continuations the handler starts are invoked asynchronously and added to `continuations`.
   */
  async invoke(event: unknown, timeoutSeconds = this.opts.timeoutSeconds, continuations: Promise<InvokeOutcome>[] = [], clock: { deadline: number } = { deadline: 0 }): Promise<InvokeOutcome> {
    const worker = this.idle.pop() ?? this.spawn();
    this.busy.add(worker);
    try {
      await worker.ready;
    } catch (err) {
      this.busy.delete(worker);
      return { ok: false, killed: true, error: { name: "Runtime.InitError", message: (err as Error).message } };
    }
    const requestId = randomUUID();
    const deadline = Date.now() + timeoutSeconds * 1000;
    clock.deadline = deadline;
    const outcome = await new Promise<InvokeOutcome>((resolve) => {
      let timedOut = false;
      // At the deadline the worker is killed, and the invocation ends once it is gone: no write of
      // it can start after the caller has been told it timed out.
      const timer = setTimeout(() => {
        timedOut = true;
        worker.child.kill("SIGKILL");
      }, Math.max(0, deadline - Date.now()));
      const onMessage = (m: { requestId?: string; ok?: boolean; result?: unknown; error?: { name: string; message: string }; continue?: unknown }) => {
        if (m.requestId !== requestId || timedOut) return;
        if (m.continue !== undefined) {
          if (!this.closed) continuations.push(this.invokeAsync(m.continue, timeoutSeconds));
          return;
        }
        cleanup();
        resolve(m.ok ? { ok: true, result: m.result } : { ok: false, killed: false, error: m.error ?? { name: "Error", message: "unknown" } });
      };
      const onExit = (code: number | null, sig: string | null) => {
        cleanup();
        if (timedOut) resolve({ ok: false, killed: true, error: { name: "Timeout", message: `Task timed out after ${timeoutSeconds} seconds` } });
        else resolve({ ok: false, killed: true, error: { name: "Runtime.ExitError", message: `worker exited (${sig ?? code}) before answering` } });
      };
      const cleanup = () => {
        clearTimeout(timer);
        worker.child.off("message", onMessage);
        worker.child.off("exit", onExit);
      };
      worker.child.on("message", onMessage);
      worker.child.once("exit", onExit);
      worker.child.send({ requestId, event, deadline });
    });
    this.busy.delete(worker);
    // A worker killed at the deadline is still "running" until its exit event arrives: never reuse it.
    const alive = !worker.child.killed && worker.child.exitCode === null && worker.child.signalCode === null;
    if (alive && !this.closed && this.idle.length < (this.opts.maxIdle ?? 2)) {
      this.idle.push(worker);
    } else {
      worker.child.kill("SIGKILL");
    }
    return outcome;
  }

  /**
   * Starts a worker ahead of the first invocation, so its cold start (loading the handler and
   * the SDK, about a second) overlaps other work such as staging the archive.
   */
  prewarm(): void {
    if (this.closed || this.idle.length > 0 || this.busy.size > 0) return;
    this.idle.push(this.spawn());
  }

  /** An asynchronous invocation: retried like Lambda's event invoke when the function errors or times out. */
  async invokeAsync(event: unknown, timeoutSeconds = this.opts.timeoutSeconds): Promise<InvokeOutcome> {
    const delays = this.opts.retryDelaysMs ?? [1000, 2000];
    const continuations: Promise<InvokeOutcome>[] = [];
    // The failed attempt's deadline (set once its worker was ready); 0 if it never got that far.
    const clock = { deadline: 0 };
    let outcome = await this.invoke(event, timeoutSeconds, continuations, clock);
    for (const delay of delays) {
      if (outcome.ok || this.closed) break;
      this.opts.logger.warn({ error: outcome.error }, "local Lambda invocation failed; retrying as Lambda's async invoke would");
      await sleep(Math.max(delay, clock.deadline - Date.now() + 50));
      clock.deadline = 0;
      outcome = await this.invoke(event, timeoutSeconds, continuations, clock);
    }
    // The work this event started is done when its continuations are; a failed one is the outcome to report.
    for (const continued of await Promise.all(continuations)) if (outcome.ok && !continued.ok) outcome = continued;
    return outcome;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const worker of [...this.idle, ...this.busy]) worker.child.kill("SIGKILL");
    this.idle.length = 0;
  }

  private spawn(): Worker {
    const child = fork(WORKER, [], {
      env: { ...processEnvForWorkers(), ...this.opts.env },
      execArgv: WORKER.endsWith(".ts") ? ["--import", "tsx"] : [],
      // Worker logs go to our stderr: stdout belongs to the CLI's result line.
      stdio: ["ignore", 2, 2, "ipc"],
    });
    const ready = new Promise<void>((resolve, reject) => {
      child.once("message", () => resolve());
      child.once("exit", (code) => reject(new Error(`local Lambda worker exited during start (${code})`)));
    });
    ready.catch(() => undefined);
    return { child, ready };
  }
}
