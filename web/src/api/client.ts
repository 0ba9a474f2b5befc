import { ApiRequestError, errorFromResponse, UNREACHABLE_CODE } from "./errors.ts";
import type {
  DeployDetailResponse,
  DeployPage,
  DeployView,
  RedeployRequest,
  RollbackRequest,
  SiteResponse,
} from "./types.ts";

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export type ApiClientOptions = {
  /**
   * "/api" in the Connect iframe (JWT session token), "/dashboard/api" on the dashboard (its session cookie + CSRF token),
   * "/forge/api" in the Forge app (no token: `fetch` goes through Forge's invokeRemote, which adds its own, forge/invoke-fetch.ts).
   */
  basePath?: "/api" | "/dashboard/api" | "/forge/api";
  /** The dashboard's CSRF token, sent on every call that changes something. */
  csrf?: string;
  workspace: string;
  repo: string;
  /** Initial session token from the page; replaced by each response's `X-acpt`. */
  token?: string;
  fetch?: FetchLike;
};

/**
 * The panel's only door to the server, always on the page's own origin (an API origin taken from
 * anywhere else could receive the session token). Every call sends `Authorization: JWT <token>` and keeps
 * the fresh token from `X-acpt` for the next call: ACE session tokens last 15 minutes, so a
 * panel left open keeps working as long as it keeps talking.
 */
export class ApiClient {
  private token: string | undefined;
  private readonly fetchFn: FetchLike;
  private readonly siteBase: string;
  private readonly csrf: string | undefined;
  private readonly credentials: RequestCredentials;

  constructor(opts: ApiClientOptions) {
    this.token = opts.token;
    this.fetchFn = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.csrf = opts.csrf;
    this.credentials = opts.basePath === "/dashboard/api" ? "same-origin" : "omit";
    this.siteBase = `${opts.basePath ?? "/api"}/sites/${encodeURIComponent(opts.workspace)}/${encodeURIComponent(opts.repo)}`;
  }

  get currentToken(): string | undefined {
    return this.token;
  }

  site(): Promise<SiteResponse> {
    return this.request("GET", "");
  }

  deploys(opts: { limit?: number; cursor?: string; stage?: string } = {}): Promise<DeployPage> {
    const q = new URLSearchParams();
    if (opts.limit !== undefined) q.set("limit", String(opts.limit));
    if (opts.cursor) q.set("cursor", opts.cursor);
    if (opts.stage) q.set("stage", opts.stage);
    const qs = q.toString();
    return this.request("GET", `/deploys${qs ? `?${qs}` : ""}`);
  }

  deploy(deployId: string): Promise<DeployDetailResponse> {
    return this.request("GET", `/deploys/${encodeURIComponent(deployId)}`);
  }

  rollback(body: RollbackRequest): Promise<SiteResponse> {
    return this.request("POST", "/rollback", body);
  }

  redeploy(body: RedeployRequest): Promise<{ deploy: DeployView }> {
    return this.request("POST", "/redeploy", body);
  }

  private async request<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (this.token) headers.Authorization = `JWT ${this.token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (this.csrf && method !== "GET") headers["X-CSRF-Token"] = this.csrf;
    let res: Response;
    try {
      res = await this.fetchFn(`${this.siteBase}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: this.credentials,
      });
    } catch (cause) {
      const detail = cause instanceof Error && cause.message ? ` (${cause.message})` : "";
      throw new ApiRequestError(0, UNREACHABLE_CODE, `Could not reach the Hoist API${detail}. Check your connection and retry.`);
    }
    const fresh = res.headers.get("X-acpt");
    if (fresh) this.token = fresh;
    if (!res.ok) throw await errorFromResponse(res);
    try {
      return (await res.json()) as T;
    } catch {
      throw new ApiRequestError(res.status, "http.bad_json", "The Hoist API sent a response the panel could not read.");
    }
  }
}
