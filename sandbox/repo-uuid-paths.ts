import type { NextFunction, Request, Response } from "express";
import type { SandboxState } from "./state.ts";

const BRACED_UUID = /^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$/i;
const REPOSITORIES = /^\/2\.0\/repositories\/([^/]+)(?:\/([^/]+))?(\/.*)?$/;

/**
 * Bitbucket takes a workspace and a repository by UUID in braces wherever it takes their slugs
 * (`/2.0/repositories/%7B<ws uuid>%7D/%7B<repo uuid>%7D…`). This rewrites such a path to the
 * slugs before the routes see it, so every repository route accepts both. A repository UUID is
 * looked for in the named workspace only: under another workspace it stays unknown (404).
 */
export function resolveUuidPaths(state: SandboxState) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const q = req.url.indexOf("?");
    const path = q === -1 ? req.url : req.url.slice(0, q);
    const match = REPOSITORIES.exec(path);
    if (!match) {
      next();
      return;
    }
    const [, wsPart = "", repoPart, rest = ""] = match;
    const ws = decoded(wsPart);
    const wsSlug = ws && BRACED_UUID.test(ws) ? Object.values(state.data.workspaces).find((w) => w.uuid.toLowerCase() === ws.toLowerCase())?.slug : undefined;
    const workspace = wsSlug ?? ws;
    const repo = repoPart === undefined ? undefined : decoded(repoPart);
    const repoSlug =
      repo && BRACED_UUID.test(repo) ? Object.values(state.data.repos).find((r) => r.workspace === workspace && r.uuid.toLowerCase() === repo.toLowerCase())?.slug : undefined;
    if (!wsSlug && !repoSlug) {
      next();
      return;
    }
    const segments = [wsSlug ?? wsPart, ...(repoPart === undefined ? [] : [repoSlug ?? repoPart])];
    req.url = `/2.0/repositories/${segments.join("/")}${rest}${q === -1 ? "" : req.url.slice(q)}`;
    next();
  };
}

function decoded(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
