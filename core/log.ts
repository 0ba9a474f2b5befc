import pino, { type Logger } from "pino";
import { createHttpLogStream } from "./log-http-stream.ts";

export type { Logger };

const redact = {
  paths: [
    "sharedSecret",
    "*.sharedSecret",
    "token",
    "*.token",
    "access_token",
    "*.access_token",
    "authorization",
    "*.authorization",
    "*.headers.authorization",
    "jwt",
    "*.jwt",
  ],
  censor: "[redacted]",
};

/**
 * Structured JSON logs to stdout (CloudWatch indexes them). When `httpUrl` is set, the same lines
 * are also shipped in batches to a remote log service (the seed used Papertrail because Lambda's
 * logs were not searchable then). Secrets are redacted by path wherever they might appear.
 */
export function createLogger(opts: { level: string; httpUrl?: string; name?: string; stderr?: boolean }): Logger {
  const options = { level: opts.level, redact, base: { name: opts.name ?? "hoist" } };
  const local = opts.stderr ? process.stderr : process.stdout;
  if (!opts.httpUrl) return opts.stderr ? pino(options, pino.destination(2)) : pino(options);
  return pino(
    options,
    pino.multistream([
      { stream: local, level: opts.level as pino.Level },
      { stream: createHttpLogStream(opts.httpUrl), level: opts.level as pino.Level },
    ]),
  );
}
