import { format } from "node:util";
import type { Logger } from "../../core/log.ts";

/**
 * The logger handed to ACE (third argument of `ace(app, opts, logger)`). ACE logs with
 * console-style arguments and, outside production, prints every saved installation with
 * `util.inspect` — shared secret included. Every line passes through `scrub` first, and the
 * "Saved tenant details" dump is cut to its first line (the clientKey).
 */

const SECRET_FIELDS = /((?:sharedSecret|oauthClientId|access_token|publicKey)['"]?\s*[:=]\s*)(['"])(?:(?!\2).)*\2/g;
const JWT_LIKE = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g;

export function scrub(text: string): string {
  const firstLineOnly = text.startsWith("Saved tenant details") ? text.split("\n")[0]! : text;
  return firstLineOnly.replace(SECRET_FIELDS, "$1$2[redacted]$2").replace(JWT_LIKE, "[jwt redacted]");
}

type Level = "debug" | "info" | "warn" | "error";

export type AceLogger = Record<Level | "log", (...args: unknown[]) => void>;

export function aceLogger(logger: Logger): AceLogger {
  const child = logger.child({ component: "ace" });
  const at = (level: Level) => (...args: unknown[]) => {
    // ACE sometimes passes a context object first; it may hold a request body, so only its keys are kept.
    const parts = args.map((a) => (a && typeof a === "object" && !(a instanceof Error) ? `{${Object.keys(a).join(",")}}` : a));
    child[level](scrub(format(...parts)));
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), log: at("info") };
}
