import express, { type Router } from "express";
import { escapeHtml } from "./html.ts";
import type { SandboxState } from "./state.ts";
import { findUser } from "./users.ts";
import { param } from "./route-params.ts";

/**
 * `GET /account/<nickname>/avatar.svg`: the avatar `links.avatar` points at, a coloured disc
 * with the user's initials, so a dashboard showing it loads a real image.
 */
export function avatarRouter(deps: { state: SandboxState }): Router {
  const router = express.Router();
  router.get("/account/:nickname/avatar.svg", (req, res, next) => {
    const user = findUser(deps.state, param(req, "nickname"));
    if (!user) return next();
    const initials = user.displayName
      .split(/\s+/)
      .filter(Boolean)
      .slice(0, 2)
      .map((w) => w[0]?.toUpperCase() ?? "")
      .join("");
    const hue = [...user.nickname].reduce((h, c) => (h * 31 + (c.codePointAt(0) ?? 0)) % 360, 0);
    res.set("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'");
    res.set("cache-control", "public, max-age=3600");
    res.type("image/svg+xml").send(`<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">
<circle cx="32" cy="32" r="32" fill="hsl(${hue} 55% 45%)"/>
<text x="32" y="40" font-family="system-ui, sans-serif" font-size="24" text-anchor="middle" fill="#fff">${escapeHtml(initials)}</text></svg>`);
  });
  return router;
}
