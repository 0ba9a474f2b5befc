import type { FetchLike } from "../api/client.ts";
import { ApiRequestError, errorFromResponse, UNREACHABLE_CODE } from "../api/errors.ts";

/**
 * The Forge app's own calls to Hoist (server/forge/forge-api.ts), beside the panel API that the
 * ApiClient reaches under the same `/forge/api` base:
 *   GET /forge/api/repositories/<uuid>              → ForgeRepository (what the user may do, and the site's slugs)
 *   PUT /forge/api/repositories/<uuid>/connection   { connected } → { connected }   (repository admins)
 */

export const FORGE_API = "/forge/api";

export type ForgeRepository = {
  workspace: string;
  repo: string;
  siteId: string;
  mayChange: boolean;
  /** Absent from servers older than the contract: then the button shows and the server decides. */
  mayAdminister?: boolean;
  connected: boolean;
  /** Why the repository cannot be connected here (another Hoist owner deploys it). */
  why?: string;
};

function isRepository(value: unknown): value is ForgeRepository {
  const v = value as Partial<ForgeRepository> | null;
  return (
    !!v &&
    typeof v.workspace === "string" &&
    typeof v.repo === "string" &&
    typeof v.siteId === "string" &&
    typeof v.mayChange === "boolean" &&
    typeof v.connected === "boolean" &&
    (v.mayAdminister === undefined || typeof v.mayAdminister === "boolean") &&
    (v.why === undefined || typeof v.why === "string")
  );
}

export class ForgeApi {
  constructor(private readonly fetchFn: FetchLike) {}

  async repository(uuid: string): Promise<ForgeRepository> {
    const body = await this.call("GET", this.path(uuid));
    if (!isRepository(body)) throw new ApiRequestError(502, "http.bad_json", "Hoist described this repository in a form the panel could not read.");
    return body;
  }

  async setConnected(uuid: string, connected: boolean): Promise<boolean> {
    const body = (await this.call("PUT", `${this.path(uuid)}/connection`, { connected })) as { connected?: unknown } | undefined;
    if (typeof body?.connected !== "boolean") throw new ApiRequestError(502, "http.bad_json", "Hoist answered the change in a form the panel could not read.");
    return body.connected;
  }

  private path(uuid: string): string {
    return `${FORGE_API}/repositories/${encodeURIComponent(uuid)}`;
  }

  private async call(method: "GET" | "PUT", path: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await this.fetchFn(path, {
        method,
        headers: body === undefined ? undefined : { "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (cause) {
      const detail = cause instanceof Error && cause.message ? ` (${cause.message})` : "";
      throw new ApiRequestError(0, UNREACHABLE_CODE, `Could not reach Hoist${detail}. Reload the page to try again.`);
    }
    if (!res.ok) throw await errorFromResponse(res);
    try {
      return (await res.json()) as unknown;
    } catch {
      throw new ApiRequestError(res.status, "http.bad_json", "Hoist sent a response the panel could not read.");
    }
  }
}
