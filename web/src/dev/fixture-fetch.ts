/**
 * A fake panel API over the fixtures: the `fetch` the ApiClient is given in tests and in the
 * `?fixtures=1` dev view. It records every call (method, path, Authorization, body) and hands
 * out a new `X-acpt` token with each answer, like ACE does.
 */
import type { FetchLike } from "../api/client.ts";
import type { DeployView, RollbackRequest, SiteResponse } from "../api/types.ts";
import { EMPTY_SITE, sampleDeploys, sampleDetail, sampleSite } from "./fixtures.ts";

export type RecordedCall = { method: string; path: string; query: URLSearchParams; authorization?: string; body?: unknown };

/** Answers a call itself (return a Response) or lets the default routes answer (undefined). */
export type Override = (call: RecordedCall) => Response | Promise<Response> | undefined;

export type FixtureOptions = {
  /** Anything else (default data), "empty", "unreachable", "loading" (never answers). */
  scenario?: string;
  deploys?: DeployView[];
  site?: SiteResponse;
  override?: Override;
  /** "Now" for the sample deploys' times; the fixed FIXTURE_NOW by default. */
  now?: number;
  /** Milliseconds before each answer (dev view realism). */
  delayMs?: number;
};

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
}

export function apiError(status: number, code: string, message: string): Response {
  return json({ error: { code, message } }, status);
}

export function fixtureFetch(opts: FixtureOptions = {}) {
  const empty = opts.scenario === "empty";
  let deploys: DeployView[] = empty ? [] : (opts.deploys ?? sampleDeploys(opts.now));
  let site: SiteResponse = empty ? EMPTY_SITE : (opts.site ?? sampleSite(deploys));
  const calls: RecordedCall[] = [];
  let tokenSerial = 0;

  const route = (call: RecordedCall): Response => {
    const m = /^\/api\/sites\/[^/]+\/[^/]+(\/.*)?$/.exec(call.path);
    const rest = m?.[1] ?? "";
    if (!m) return apiError(404, "route.not_found", `No route ${call.method} ${call.path}`);
    if (call.method === "GET" && rest === "") return json(site);
    if (call.method === "GET" && rest === "/deploys") {
      const limit = Number(call.query.get("limit") ?? 20);
      const cursor = call.query.get("cursor");
      const start = cursor ? deploys.findIndex((d) => d.deployId === cursor) + 1 : 0;
      const page = deploys.slice(start, start + limit);
      const more = start + limit < deploys.length;
      return json({ deploys: page, nextCursor: more ? page.at(-1)?.deployId : undefined });
    }
    const detail = /^\/deploys\/([^/]+)$/.exec(rest);
    if (call.method === "GET" && detail) {
      const d = deploys.find((x) => x.deployId === decodeURIComponent(detail[1] ?? ""));
      return d ? json(sampleDetail(d)) : apiError(404, "deploy.not_found", "No such deploy");
    }
    if (call.method === "POST" && rest === "/rollback") {
      const req = call.body as RollbackRequest;
      const stage = site.site.stages.find((s) => s.stage === (req.stage ?? "production"));
      if (!stage || stage.liveDeployId !== req.expectedLiveDeployId) {
        return apiError(409, "rollback.conflict", "The live deploy changed since you loaded the panel.");
      }
      const target = deploys.find((d) => d.deployId === req.deployId);
      if (!target) return apiError(404, "deploy.not_found", "No such deploy");
      deploys = deploys.map((d) => (d.stage === target.stage ? { ...d, live: d.deployId === target.deployId } : d));
      site = {
        site: {
          ...site.site,
          stages: site.site.stages.map((s) => (s.stage === target.stage ? { ...s, liveDeployId: target.deployId, live: { ...target, live: true } } : s)),
        },
      };
      return json(site);
    }
    if (call.method === "POST" && rest === "/redeploy") {
      const req = call.body as { commit: string; branch?: string };
      const source = deploys.find((d) => d.commit === req.commit);
      const now = Date.now();
      const fresh: DeployView = {
        ...(source as DeployView),
        deployId: `${"Z".repeat(10)}${String(now).padStart(16, "0")}`,
        trigger: "redeploy",
        status: "queued",
        live: false,
        queuedAt: new Date(now).toISOString(),
        startedAt: undefined,
        finishedAt: undefined,
        durationMs: undefined,
        stats: undefined,
        progress: undefined,
        reason: undefined,
        reasonMessage: undefined,
      };
      deploys = [fresh, ...deploys];
      return json({ deploy: fresh }, 202);
    }
    return apiError(404, "route.not_found", `No route ${call.method} ${call.path}`);
  };

  const fetch: FetchLike = async (input, init) => {
    const url = new URL(input, "http://panel.test");
    const headers = new Headers(init?.headers);
    const call: RecordedCall = {
      method: init?.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      authorization: headers.get("Authorization") ?? undefined,
      body: typeof init?.body === "string" ? JSON.parse(init.body) : undefined,
    };
    calls.push(call);
    if (opts.scenario === "loading") return new Promise<Response>(() => {});
    if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
    if (opts.scenario === "unreachable") throw new TypeError("Failed to fetch");
    const res = (await opts.override?.(call)) ?? route(call);
    tokenSerial += 1;
    res.headers.set("X-acpt", `token-${tokenSerial}`);
    return res;
  };

  return { fetch, calls };
}
