import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import type { Config } from "../../core/config.ts";
import type { DashboardStore, Session } from "./store.ts";

/**
 * Dashboard sessions: a random id in a signed cookie, the record server-side (store.ts, hashed),
 * so signing out ends it everywhere at once. Cookies are HttpOnly, SameSite=Lax, host-only on
 * HOIST_BASE_URL (never a Domain attribute: site hosts get no Hoist cookie), and Secure with the
 * `__Host-` prefix in production. A request that changes anything must also carry the session's
 * CSRF token in `X-CSRF-Token` and, when the browser sends one, an Origin equal to the base URL.
 */

export const SESSION_DAYS = 7;
const STATE_MINUTES = 10;

export type SessionCookies = ReturnType<typeof sessionCookies>;

export function sessionCookies(config: Pick<Config, "production" | "baseUrl">, key: Buffer) {
  const macKey = createHmac("sha256", key).update("hoist dashboard cookies").digest();
  const prefix = config.production ? "__Host-" : "";
  const names = { session: `${prefix}hoist_session`, state: `${prefix}hoist_oauth_state` };
  const sign = (value: string) => `${value}.${createHmac("sha256", macKey).update(value).digest("base64url")}`;
  const verify = (signed: string | undefined): string | undefined => {
    if (!signed) return undefined;
    const at = signed.lastIndexOf(".");
    if (at <= 0) return undefined;
    const expected = Buffer.from(sign(signed.slice(0, at)));
    const given = Buffer.from(signed);
    return expected.length === given.length && timingSafeEqual(expected, given) ? signed.slice(0, at) : undefined;
  };
  const set = (res: Response, name: string, value: string, maxAgeSeconds: number) => {
    const attributes = [`${name}=${value}`, "Path=/", "HttpOnly", "SameSite=Lax", `Max-Age=${maxAgeSeconds}`, ...(config.production ? ["Secure"] : [])];
    res.append("set-cookie", attributes.join("; "));
  };
  return {
    names,
    /** A fresh OAuth `state`, bound to this browser by a signed cookie. */
    newState(res: Response): string {
      const state = randomBytes(24).toString("base64url");
      set(res, names.state, sign(state), STATE_MINUTES * 60);
      return state;
    },
    /** True when `state` is the one this browser was given; the cookie is spent either way. */
    takeState(req: Request, res: Response, state: unknown): boolean {
      const expected = verify(readCookie(req, names.state));
      set(res, names.state, "", 0);
      if (typeof state !== "string" || !expected) return false;
      const [a, b] = [Buffer.from(expected), Buffer.from(state)];
      return a.length === b.length && timingSafeEqual(a, b);
    },
    startSession(res: Response): string {
      const id = randomBytes(32).toString("base64url");
      set(res, names.session, sign(id), SESSION_DAYS * 24 * 3600);
      return id;
    },
    sessionId(req: Request): string | undefined {
      return verify(readCookie(req, names.session));
    },
    clearSession(res: Response): void {
      set(res, names.session, "", 0);
    },
  };
}

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return v.join("=");
  }
  return undefined;
}

export type SignedIn = { sessionId: string; session: Session };

/**
 * Middleware: the signed-in session in `res.locals.signedIn`, or 401. For methods that change
 * anything, also the CSRF token and the Origin (403 when either is wrong).
 */
export function requireSession(deps: { store: DashboardStore; cookies: SessionCookies; baseUrl: string }) {
  const origin = new URL(deps.baseUrl).origin;
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const id = deps.cookies.sessionId(req);
      const session = id ? await deps.store.getSession(id) : undefined;
      if (!id || !session) return void res.status(401).json({ error: { code: "auth.signed_out", message: "Sign in with Bitbucket to continue." } });
      if (!["GET", "HEAD"].includes(req.method)) {
        const sentOrigin = req.headers.origin;
        const token = req.headers["x-csrf-token"];
        const tokenOk = typeof token === "string" && token.length === session.csrf.length && timingSafeEqual(Buffer.from(token), Buffer.from(session.csrf));
        if ((sentOrigin !== undefined && sentOrigin !== origin) || !tokenOk) {
          return void res.status(403).json({ error: { code: "auth.csrf", message: "This request did not come from Hoist's dashboard (missing or wrong CSRF token). Reload the page and try again." } });
        }
      }
      res.locals.signedIn = { sessionId: id, session } satisfies SignedIn;
      next();
    } catch (err) {
      next(err);
    }
  };
}
