import { spawn } from "node:child_process";
import { once } from "node:events";
import type { Readable } from "node:stream";
import express, { type Request, type Response, type Router } from "express";
import type { Logger } from "pino";
import { apiError, type BearerDeps, checkBearer } from "./bearer-auth.ts";
import type { Faults } from "./faults.ts";
import { resolveCommit } from "./git.ts";
import { gitDirOf } from "./repos.ts";
import { Throttle } from "./throttle.ts";
import { param } from "./route-params.ts";

export interface ArchiveDeps extends BearerDeps {
  faults: () => Faults;
  archiveFailure: () => number | undefined;
  log: Logger;
}

/**
 * `GET /<workspace>/<repo>/get/<commit-or-ref>.tar.gz`: streams `git archive`
 * under Bitbucket's top folder `<workspace>-<repo>-<12-hex commit>/`. Nothing is
 * buffered: git's output goes to the socket as it comes, with backpressure.
 */
export function archiveRouter(deps: ArchiveDeps): Router {
  const router = express.Router();
  router.get(/^\/([^/]+)\/([^/]+)\/get\/(.+)\.tar\.gz$/, async (req: Request, res: Response) => {
    const [ws, slug, spec] = [param(req, 0), param(req, 1), param(req, 2)];
    if (!checkBearer(deps, req, res, ws, slug)) return;
    const repo = deps.state.repo(ws, slug);
    const gitDir = repo && gitDirOf(deps.state.dataDir, repo);
    const commit = gitDir && (await resolveCommit(gitDir, spec));
    if (!gitDir || !commit) return apiError(res, 404, `No commit "${spec}" in ${ws}/${slug}`);
    const faults = deps.faults().archive;
    const failure = deps.archiveFailure();
    if (failure) return apiError(res, failure, "archive fault switched on");
    const top = `${ws}-${slug}-${commit.slice(0, 12)}`;
    const child = spawn("git", ["--git-dir", gitDir, "archive", "--format=tar.gz", `--prefix=${top}/`, commit]);
    child.stderr.on("data", (d: Buffer) => deps.log.warn({ stderr: d.toString().trim() }, "git archive"));
    res.on("close", () => child.kill("SIGTERM"));
    res.writeHead(200, {
      "content-type": "application/x-gzip",
      "content-disposition": `attachment; filename="${top}.tar.gz"`,
    });
    const source = faults.bytesPerSecond ? child.stdout.pipe(new Throttle(faults.bytesPerSecond)) : child.stdout;
    await sendWithFaults(source, res, faults).catch((err: Error) => deps.log.warn({ err: err.message }, "archive stream broke"));
  });
  return router;
}

/** Copies the archive to the client, honouring the truncate and never-end faults. */
async function sendWithFaults(source: Readable, res: Response, faults: Faults["archive"]): Promise<void> {
  const limit = faults.truncateAfterBytes;
  let sent = 0;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    const part = limit === undefined ? chunk : chunk.subarray(0, limit - sent);
    sent += part.length;
    if (!res.write(part)) await Promise.race([once(res, "drain"), once(res, "close")]);
    if (res.destroyed) return;
    if (limit !== undefined && sent >= limit) {
      // Flush what we promised, then drop the connection mid-body, as a flaky network would.
      await new Promise((resolve) => res.write("", resolve));
      res.socket?.destroy();
      return;
    }
  }
  if (faults.neverEnd) return; // keep the response open until the client or close() gives up
  res.end();
}
