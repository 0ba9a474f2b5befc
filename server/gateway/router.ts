import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import express from "express";
import type { Clients } from "../../core/aws.ts";
import type { Config } from "../../core/config.ts";
import type { Logger } from "../../core/log.ts";
import { BlobCache } from "./blob-cache.ts";
import { LiveSites, type LiveSiteOptions } from "./live-site.ts";
import { pages, sendPlainPage, type PlainPage } from "./plain-page.ts";
import { parseRequestPath } from "./request-path.ts";
import { resolvePath } from "./resolve-path.ts";
import { sendManifestFile } from "./send-file.ts";
import { isSiteHost, stageLabelOf } from "./site-host.ts";
import { headersFor, redirectFor } from "./site-rules.ts";
import { storageErrorStatus } from "./storage-error.ts";

/**
 * The hosting gateway: serves each stage's live deploy on its own host name
 * (`<host label>.<sitesDomain>`). Mounted at the root of an Express app, it takes only requests
 * whose Host is under the sites domain and passes every other request on with next(), so the
 * add-on's routes on the bare domain keep working in the same server.
 *
 * It holds no state but caches (see live-site.ts), so any number of processes can serve.
 */

export type GatewayDeps = {
  config: Pick<Config, "sitesDomain" | "buckets" | "tables"> & Partial<Pick<Config, "gatewayCache">>;
  clients: Pick<Clients, "s3" | "db">;
  logger: Logger;
  options?: Partial<LiveSiteOptions>;
  /** Tests: a cache to watch; otherwise one is made from `config.gatewayCache`. */
  cache?: BlobCache;
};

const DEFAULTS: LiveSiteOptions = { pointerTtlMs: 1000, maxPointers: 10_000, maxManifestFiles: 200_000 };

/** The gateway as a plain Node request handler: the server hands it site hosts before Express sees them. */
export type SiteServer = {
  handles(host: string | undefined): boolean;
  handle(req: IncomingMessage, res: ServerResponse): void;
};

export function createSiteServer(deps: GatewayDeps): SiteServer {
  const live = new LiveSites(
    deps.clients,
    { sitesTable: deps.config.tables.sites, sitesBucket: deps.config.buckets.sites },
    { ...DEFAULTS, ...deps.options },
  );
  const budget = deps.config.gatewayCache ?? { budgetBytes: 64 * 1024 ** 2, maxFileBytes: 1024 ** 2 };
  const cache = deps.cache ?? (budget.budgetBytes > 0 ? new BlobCache(deps.clients.s3, deps.config.buckets.sites, budget) : undefined);
  const serve = serveSite(deps, live, cache);
  return {
    handles: (host) => isSiteHost(host, deps.config),
    handle: (req, res) => void serve(req, res),
  };
}

/** The same gateway as Express middleware (`hoist serve`, tests): site hosts are answered, anything else passes on. */
export function createGateway(deps: GatewayDeps): express.Router {
  const sites = createSiteServer(deps);
  const router = express.Router();
  router.use((req, res, next) => {
    if (!sites.handles(req.headers.host)) return next();
    res.removeHeader("X-Powered-By");
    sites.handle(req, res);
  });
  return router;
}

function serveSite(deps: GatewayDeps, live: LiveSites, cache: BlobCache | undefined) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    const url = req.url ?? "/";
    // Built only when something is logged: a served file logs nothing.
    const log = () => deps.logger.child({ requestId, host: req.headers.host, method: req.method, url });
    res.setHeader("X-Request-Id", requestId);
    const head = req.method === "HEAD";
    const plain = (page: PlainPage) => sendPlainPage(res, page, requestId, head);
    try {
      if (req.method !== "GET" && !head) return plain(pages.methodNotAllowed());
      const parsed = parseRequestPath(url);
      if (!parsed.ok) return plain(pages.badPath(parsed.reason));
      const label = stageLabelOf(req.headers.host, deps.config);
      const site = label === undefined ? undefined : await live.get(label);
      if (!site) return plain(pages.unknownSite(String(req.headers.host)));
      // Scheme-relative: the visitor keeps whichever scheme reached us (https behind a load balancer).
      if ("movedTo" in site) return redirect(res, `//${site.movedTo}.${deps.config.sitesDomain}${url}`);

      const requestPath = `/${parsed.path.segments.join("/")}${parsed.path.trailingSlash && parsed.path.segments.length > 0 ? "/" : ""}`;
      let resolution = resolvePath(site.manifest, parsed.path);
      if (resolution.kind === "not_found") {
        const rule = redirectFor(site.manifest.rules, requestPath);
        if (rule && rule.status !== 200) return redirect(res, rule.to + (rule.to.includes("?") ? "" : parsed.path.query), rule.status);
        if (rule) {
          const rewritten = parseRequestPath(rule.to);
          if (rewritten.ok) resolution = resolvePath(site.manifest, rewritten.path);
        }
      }
      if (resolution.kind === "redirect") return redirect(res, resolution.location);
      const target = resolution.kind === "file" ? resolution : resolution.page;
      if (!target) return plain(pages.fileNotFound());
      const ctx = { req, res, s3: deps.clients.s3, bucket: deps.config.buckets.sites, cache };
      const sent = await sendManifestFile(ctx, target.file, resolution.kind === "file" ? 200 : 404, headersFor(site.manifest.rules, requestPath));
      await sent.bytes?.catch((err: unknown) => logStreamFailure(log(), err, target.file.blobKey));
    } catch (err) {
      const status = storageErrorStatus(err);
      log().error({ err, status }, "storage failed while serving a site; the visitor got an error page");
      if (res.headersSent) res.destroy();
      else plain(pages.storageFailed(status));
    }
  };
}

function redirect(res: ServerResponse, location: string, status = 301): void {
  // 301 is cached by browsers without limit unless told otherwise, and the next deploy may turn
  // the directory back into a file: revalidate, as Netlify does.
  res.writeHead(status, { Location: location, "Cache-Control": "public, max-age=0, must-revalidate", "Content-Length": "0" });
  res.end();
}

/**
 * A response cut short after its headers. A premature close is the client leaving (routine);
 * anything else — S3 dropping the body, a corrupt gzip blob — needs an operator.
 */
function logStreamFailure(log: Logger, err: unknown, blobKey: string): void {
  const code = (err as { code?: string }).code;
  if (code === "ERR_STREAM_PREMATURE_CLOSE") {
    log.debug({ blobKey }, "client went away mid-response");
    return;
  }
  log.error({ err, blobKey }, "streaming a blob failed after the headers were sent; the response was cut short");
}
