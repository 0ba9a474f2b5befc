import { ApiRequestError, errorFromResponse, UNREACHABLE_CODE } from "../api/errors.ts";
import type { FetchLike } from "../api/client.ts";
import type { ConnectRequest, MeResponse, RepositoriesResponse, SiteSummary, SitesResponse } from "../../../server/dashboard/types.ts";

export type { ConnectRequest, MeResponse, RepositoriesResponse, SiteSummary, SitesResponse };

/**
 * The dashboard's calls besides the panel API: same origin, the session cookie, and the CSRF
 * token on every change. A 401 means signed out (or Bitbucket withdrew the grant).
 */
export class DashboardClient {
  private csrf: string | undefined;
  private readonly fetchFn: FetchLike;

  constructor(fetchFn?: FetchLike) {
    this.fetchFn = fetchFn ?? ((input, init) => globalThis.fetch(input, init));
  }

  get csrfToken(): string | undefined {
    return this.csrf;
  }

  async me(): Promise<MeResponse> {
    const me = await this.request<MeResponse>("GET", "/dashboard/api/me");
    this.csrf = me.csrf;
    return me;
  }

  sites(): Promise<SitesResponse> {
    return this.request("GET", "/dashboard/api/sites");
  }

  repositories(q: string, after?: string): Promise<RepositoriesResponse> {
    return this.request("GET", `/dashboard/api/repositories?q=${encodeURIComponent(q)}${after ? `&after=${encodeURIComponent(after)}` : ""}`);
  }

  connect(body: ConnectRequest): Promise<{ site: SiteSummary }> {
    return this.request("POST", "/dashboard/api/sites", body);
  }

  disconnect(workspace: string, repo: string): Promise<void> {
    return this.request("DELETE", `/dashboard/api/sites/${encodeURIComponent(workspace)}/${encodeURIComponent(repo)}`);
  }

  signOut(): Promise<void> {
    return this.request("POST", "/auth/signout");
  }

  private async request<T>(method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET" && this.csrf) headers["X-CSRF-Token"] = this.csrf;
    let res: Response;
    try {
      res = await this.fetchFn(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" });
    } catch {
      throw new ApiRequestError(0, UNREACHABLE_CODE, "Could not reach Hoist. Check your connection and retry.");
    }
    if (!res.ok) throw await errorFromResponse(res);
    return (res.status === 204 ? undefined : await res.json()) as T;
  }
}
