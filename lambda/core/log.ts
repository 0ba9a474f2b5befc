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
export function createLogger(opts: { level: string; httpUrl?: string; name?: string }): Logger {
  const options = { level: opts.level, redact, base: { name: opts.name ?? "hoist" } };
  if (!opts.httpUrl) return pino(options);
  return pino(
    options,
    pino.multistream([
      { stream: process.stdout, level: opts.level as pino.Level },
      { stream: createHttpLogStream(opts.httpUrl), level: opts.level as pino.Level },
    ]),
  );
}
