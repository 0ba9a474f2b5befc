import { randomBytes } from "node:crypto";
import express, { type Request, type Response, type Router } from "express";
import { z } from "zod";
import type { Logger } from "../../core/log.ts";
import type { BitbucketClient } from "../bitbucket/client.ts";
import { escapeAttribute } from "../panel/panel-html.ts";
import { authorizeUrl, exchangeCode, OAuthRefused, type OAuthSettings, type UserTokens } from "./oauth.ts";
import { requireSession, SESSION_DAYS, type SessionCookies, type SignedIn } from "./session.ts";
import type { DashboardStore } from "./store.ts";

/**
 * Sign in and out (docs/architecture.md, "The dashboard"):
 *   GET  /auth/bitbucket            → Bitbucket's consent page, with a `state` bound to this browser
 *   GET  /auth/bitbucket/callback   the state must be this browser's (no login CSRF), then the code is
 *                                   exchanged, the user read from /2.0/user, the grant stored, a session started
 *   POST /auth/signout              ends the session server-side (CSRF-checked like every change)
 */

export const DASHBOARD_PATH = "/dashboard";

const BitbucketUser = z.object({ uuid: z.string().min(1).max(100), nickname: z.string().max(200).optional(), display_name: z.string().max(200).optional(), username: z.string().max(200).optional() });

export type AuthDeps = { settings: OAuthSettings; store: DashboardStore; cookies: SessionCookies; tokens: UserTokens; bitbucket: BitbucketClient; baseUrl: string; logger: Logger };

export function authRouter(deps: AuthDeps): Router {
  const router = express.Router();
  router.get("/auth/bitbucket", (_req, res) => {
    res.set("cache-control", "no-store");
    res.redirect(302, authorizeUrl(deps.settings, deps.cookies.newState(res)));
  });

  router.get("/auth/bitbucket/callback", async (req: Request, res: Response, next) => {
    res.set("cache-control", "no-store");
    try {
      if (!deps.cookies.takeState(req, res, req.query.state)) {
        deps.logger.warn("sign-in refused: the state does not belong to this browser");
        return page(res, 400, "This sign-in link is not the one Hoist gave this browser (or it was used already). Start again from the sign-in button.");
      }
      if (typeof req.query.error === "string") return page(res, 403, "Bitbucket did not grant Hoist access, so you are not signed in. Start again and choose Grant access to sign in.");
      if (typeof req.query.code !== "string" || !req.query.code) return page(res, 400, "Bitbucket did not send an authorization code. Start again from the sign-in button.");
      const tokens = await exchangeCode(deps.settings, req.query.code);
      const bearer = { kind: "user" as const, userUuid: "", baseUrl: deps.settings.bitbucketUrl, baseApiUrl: deps.settings.apiUrl, token: async () => tokens.accessToken };
      const user = BitbucketUser.parse(await deps.bitbucket.getJson(bearer, "/2.0/user"));
      await deps.tokens.save(user.uuid, tokens);
      const id = deps.cookies.startSession(res);
      await deps.store.putSession(id, {
        userUuid: user.uuid,
        nickname: user.nickname ?? user.username ?? user.uuid,
        displayName: user.display_name ?? user.nickname ?? "Bitbucket user",
        csrf: randomBytes(24).toString("base64url"),
        expiresAt: Math.floor(Date.now() / 1000) + SESSION_DAYS * 24 * 3600,
      });
      deps.logger.info({ user: user.uuid, scopes: tokens.scopes }, "signed in");
      res.redirect(303, DASHBOARD_PATH);
    } catch (err) {
      if (err instanceof OAuthRefused) {
        deps.logger.warn({ error: err.error }, "sign-in refused by Bitbucket");
        return page(res, 401, "Bitbucket refused the sign-in (the code was used, expired, or issued to another app). Start again from the sign-in button.");
      }
      next(err);
    }
  });

  router.post("/auth/signout", requireSession(deps), async (_req, res) => {
    const { sessionId } = res.locals.signedIn as SignedIn;
    await deps.store.endSession(sessionId);
    deps.cookies.clearSession(res);
    res.status(204).end();
  });
  return router;
}

function page(res: Response, status: number, message: string): void {
  res
    .status(status)
    .type("html")
    .send(`<!doctype html><meta charset="utf-8"><title>Hoist</title><main style="font:15px system-ui;margin:48px auto;max-width:560px"><h1>Sign in to Hoist</h1><p>${escapeAttribute(message)}</p><p><a href="/auth/bitbucket">Sign in with Bitbucket</a></p></main>`);
}
