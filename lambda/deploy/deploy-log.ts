import type { Logger } from "../../core/log.ts";
import { MAX_LOG_LINES, type DeployLogLine } from "../../core/deploy-records.ts";

/**
 * The lines a site owner sees in the panel for one deploy: the few facts that explain it,
 * also written to the structured log (with the deploy id on every line via the child logger).
 * Bounded: the first lines are kept, and the last few, with a marker between.
 */
export class DeployLog {
  private readonly head: DeployLogLine[] = [];
  private tail: DeployLogLine[] = [];
  private skipped = 0;
  private static readonly HEAD = MAX_LOG_LINES - 20;
  private static readonly TAIL = 19;

  /** `earlier`: lines of this deploy's earlier runs (continuations carry the log on). */
  constructor(
    readonly logger: Logger,
    earlier: readonly DeployLogLine[] = [],
  ) {
    for (const line of earlier) this.keepLine(line);
  }

  info(msg: string, fields: Record<string, unknown> = {}): void {
    this.logger.info(fields, msg);
    this.keep("info", msg);
  }

  warn(msg: string, fields: Record<string, unknown> = {}): void {
    this.logger.warn(fields, msg);
    this.keep("warn", msg);
  }

  error(msg: string, fields: Record<string, unknown> = {}): void {
    this.logger.error(fields, msg);
    this.keep("error", msg);
  }

  private keep(level: DeployLogLine["level"], msg: string): void {
    this.keepLine({ t: new Date().toISOString(), level, msg });
  }

  private keepLine(line: DeployLogLine): void {
    if (this.head.length < DeployLog.HEAD) {
      this.head.push(line);
      return;
    }
    this.tail.push(line);
    if (this.tail.length > DeployLog.TAIL) {
      this.tail.shift();
      this.skipped += 1;
    }
  }

  toJSON(): DeployLogLine[] {
    if (this.skipped === 0) return [...this.head, ...this.tail];
    const marker: DeployLogLine = { t: this.tail[0]!.t, level: "info", msg: `… ${this.skipped} lines omitted …` };
    return [...this.head, marker, ...this.tail];
  }
}
