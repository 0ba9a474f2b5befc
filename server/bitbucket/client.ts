import { Readable, Transform } from "node:stream";
import * as jwt from "atlassian-jwt";
import { HoistError } from "../../core/errors.ts";
import type { Logger } from "../../core/log.ts";
import type { SiteRef } from "../../core/site.ts";
import { MAX_SETTINGS_BYTES } from "../../core/site-settings.ts";
import { TokenCache } from "./token-cache.ts";

/**
 * THE module that talks to Bitbucket (docs/architecture.md, "Bitbucket"). Everything else asks it, with either
 * kind of credentials:
 *  - a Connect installation: its JWT (iss = add-on key, sub = clientKey, qsh over the token
 *    path) traded for a bearer token at `<baseUrl>/site/oauth2/access_token`, cached until
 *    shortly before it expires;
 *  - a repository access token (direct mode): used as the bearer token as it is;
 *  - archive: `<baseUrl>/<ws>/<repo>/get/<commit>.tar.gz` as a stream, failing with a `fetch.*`
 *    reason on 401/404/5xx, a broken connection, or no bytes for `stallMs`;
 *  - postBuildStatus, repository (main branch), branchTip, readFile (the site settings file at a commit).
 * Tokens and secrets never reach a log line.
 */

export type BitbucketInstallation = { kind?: "connect"; clientKey: string; addonKey: string; sharedSecret: string; baseUrl: string; baseApiUrl: string };
/** Direct mode: one repository, a repository access token, no Connect. */
export type RepositoryAccessToken = { kind: "repository-token"; owner: string; accessToken: string; baseUrl: string; baseApiUrl: string };
/** A signed-in user's OAuth grant (the dashboard): its token comes from the grant store, refreshed as needed. */
export type UserGrant = { kind: "user"; userUuid: string; baseUrl: string; baseApiUrl: string; token(): Promise<string> };
/** Whatever lets Hoist act on a repository: a Connect installation, a repository access token, or a user's grant. */
/**
 * A Forge product token (the app system token of one installation, or the app user token of one
 * request): Forge hands it over with each invocation, Hoist keeps it in memory for its lifetime
 * only (server/forge/product-tokens.ts); `token()` fails once it has expired. docs/forge.md.
 */
export type ForgeToken = { kind: "forge"; installationId: string; baseUrl: string; baseApiUrl: string; token(): Promise<string> };
export type BitbucketCredentials = BitbucketInstallation | RepositoryAccessToken | UserGrant | ForgeToken;
export type BuildStatus = { key: string; state: "INPROGRESS" | "SUCCESSFUL" | "FAILED" | "STOPPED"; url: string; name: string; description: string; refname?: string };

const TOKEN_PATH = "/site/oauth2/access_token";
const REQUEST_TIMEOUT_MS = 10_000;

export class BitbucketError extends Error {
  override name = "BitbucketError";
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export class BitbucketClient {
  private readonly tokens = new TokenCache();

  constructor(
    private readonly logger: Logger,
    private readonly opts: { stallMs: number } = { stallMs: 30_000 },
  ) {}

  /** A bearer token: a Connect installation's costs one exchange per token lifetime; a repository token is one. */
  async accessToken(creds: BitbucketCredentials): Promise<string> {
    if (creds.kind === "repository-token") return creds.accessToken;
    if (creds.kind === "user" || creds.kind === "forge") return creds.token();
    return this.tokens.get(creds.clientKey, creds.sharedSecret, () => this.exchangeToken(creds));
  }

  /** After a 401: a cached Connect token may be stale; a repository token is what it is. */
  private forgetToken(creds: BitbucketCredentials): void {
    if (creds.kind === undefined || creds.kind === "connect") this.tokens.forget(creds.clientKey);
  }

  private async exchangeToken(inst: BitbucketInstallation): Promise<{ token: string; expiresInSeconds: number }> {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: inst.addonKey,
      sub: inst.clientKey,
      iat: now,
      exp: now + 180,
      qsh: jwt.createQueryStringHash(jwt.fromMethodAndUrl("POST", TOKEN_PATH), false),
    };
    const grant = jwt.encodeSymmetric(claims, inst.sharedSecret, jwt.SymmetricAlgorithm.HS256);
    let res: Response;
    try {
      res = await fetch(`${inst.baseUrl}${TOKEN_PATH}`, {
        method: "POST",
        headers: { authorization: `JWT ${grant}`, "content-type": "application/x-www-form-urlencoded" },
        body: "grant_type=urn%3Abitbucket%3Aoauth2%3Ajwt",
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      throw new BitbucketError(`could not reach Bitbucket's token endpoint at ${inst.baseUrl} (${(err as Error).message})`);
    }
    const body = (await res.json().catch(() => ({}))) as { access_token?: unknown; expires_in?: unknown; error?: unknown };
    if (!res.ok || typeof body.access_token !== "string") {
      throw new BitbucketError(`Bitbucket refused the token exchange (${res.status} ${typeof body.error === "string" ? body.error.slice(0, 80) : ""})`, res.status);
    }
    const expiresIn = typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : 3600;
    return { token: body.access_token, expiresInSeconds: expiresIn };
  }

  /** The archive of one commit, streamed. The stream fails with a `fetch.*` HoistError. */
  async archive(inst: BitbucketCredentials, ref: SiteRef, commit: string, signal?: AbortSignal): Promise<Readable> {
    let token: string;
    try {
      token = await this.accessToken(inst);
    } catch (err) {
      throw new HoistError("fetch.unauthorized", `Bitbucket did not give Hoist an access token (${(err as Error).message}). Reinstall Hoist in the workspace settings.`);
    }
    const url = `${inst.baseUrl}/${encodeURIComponent(ref.workspace)}/${encodeURIComponent(ref.repo)}/get/${encodeURIComponent(commit)}.tar.gz`;
    const controller = new AbortController();
    signal?.addEventListener("abort", () => controller.abort(signal.reason), { once: true });
    const headersTimer = setTimeout(() => controller.abort(new Error("no answer")), this.opts.stallMs);
    let res: Response;
    try {
      res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
    } catch (err) {
      throw new HoistError("fetch.failed", `Downloading the commit's archive from Bitbucket failed (${(err as Error).message}). Push again or redeploy to retry.`);
    } finally {
      clearTimeout(headersTimer);
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      if (res.status === 401 || res.status === 403) {
        this.forgetToken(inst);
        const fix =
          inst.kind === "repository-token"
            ? "Check that the site's repository access token is still valid and has the Repositories: Read permission (replace it in HOIST_DIRECT_SITES_FILE, or reconnect the site on the dashboard with a new one)."
            : inst.kind === "user"
              ? "The Bitbucket user who connected this site no longer grants Hoist access: reconnect the site on the dashboard (a repository access token keeps it independent of any user)."
              : inst.kind === "forge"
                ? "Forge's token for the Hoist app was refused: check that the app is still installed in the workspace with its repository permissions (see docs/forge.md), then push again."
              : "Check that Hoist is still installed with repository access.";
        throw new HoistError("fetch.unauthorized", `Bitbucket refused Hoist's access to the archive (${res.status}). ${fix}`);
      }
      if (res.status === 404) throw new HoistError("fetch.not_found", `Bitbucket has no archive for commit ${commit.slice(0, 12)} (404). The commit may have been removed by a force push.`);
      throw new HoistError("fetch.failed", `Bitbucket answered ${res.status} when asked for the archive. Push again or redeploy to retry.`);
    }
    const body = Readable.fromWeb(res.body as import("node:stream/web").ReadableStream<Uint8Array>);
    return body.pipe(stallGuard(this.opts.stallMs, () => controller.abort(new Error("stalled")), body));
  }

  async postBuildStatus(inst: BitbucketCredentials, ref: SiteRef, commit: string, status: BuildStatus): Promise<void> {
    const url = `${inst.baseApiUrl}/2.0/repositories/${encodeURIComponent(ref.workspace)}/${encodeURIComponent(ref.repo)}/commit/${encodeURIComponent(commit)}/statuses/build`;
    const res = await this.apiCall(inst, url, { method: "POST", body: JSON.stringify(status), headers: { "content-type": "application/json" } });
    await res.body?.cancel().catch(() => undefined);
    if (!res.ok) throw new BitbucketError(`Bitbucket refused the build status (${res.status})`, res.status);
  }

  /** The repository's main branch name, or undefined when Bitbucket does not say. */
  async mainBranch(inst: BitbucketCredentials, ref: SiteRef): Promise<string | undefined> {
    const url = `${inst.baseApiUrl}/2.0/repositories/${encodeURIComponent(ref.workspace)}/${encodeURIComponent(ref.repo)}`;
    const res = await this.apiCall(inst, url, { method: "GET" });
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw new BitbucketError(`Bitbucket did not describe ${ref.workspace}/${ref.repo} (${res.status})`, res.status);
    }
    const body = (await res.json()) as { mainbranch?: { name?: unknown } };
    return typeof body.mainbranch?.name === "string" ? body.mainbranch.name : undefined;
  }

  /** The commit a branch points at now, or undefined when the branch does not exist (any more). */
  async branchTip(inst: BitbucketCredentials, ref: SiteRef, branch: string): Promise<string | undefined> {
    const url = `${inst.baseApiUrl}/2.0/repositories/${encodeURIComponent(ref.workspace)}/${encodeURIComponent(ref.repo)}/refs/branches/${encodeURIComponent(branch)}`;
    const res = await this.apiCall(inst, url, { method: "GET" });
    if (res.status === 404) {
      await res.body?.cancel().catch(() => undefined);
      return undefined;
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw new BitbucketError(`Bitbucket did not describe the branch (${res.status})`, res.status);
    }
    const body = (await res.json()) as { target?: { hash?: unknown } };
    if (typeof body.target?.hash !== "string") throw new BitbucketError("Bitbucket described the branch without its commit");
    return body.target.hash.toLowerCase();
  }

  /** A small file at a commit (the settings file), or undefined when it does not exist. */
  async readFile(inst: BitbucketCredentials, ref: SiteRef, commit: string, path: string): Promise<string | undefined> {
    const url = `${inst.baseApiUrl}/2.0/repositories/${encodeURIComponent(ref.workspace)}/${encodeURIComponent(ref.repo)}/src/${encodeURIComponent(commit)}/${path.split("/").map(encodeURIComponent).join("/")}`;
    const res = await this.apiCall(inst, url, { method: "GET" });
    if (res.status === 404) {
      await res.body?.cancel().catch(() => undefined);
      return undefined;
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      throw new BitbucketError(`Bitbucket did not return ${path} (${res.status})`, res.status);
    }
    return readCapped(res, MAX_SETTINGS_BYTES, path);
  }

  /** GET a /2.0 path (with its query) as JSON; throws BitbucketError (with the status) on anything but 2xx. */
  async getJson<T>(creds: BitbucketCredentials, path: string): Promise<T> {
    const res = await this.apiCall(creds, `${creds.baseApiUrl}${path}`, { method: "GET" });
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw new BitbucketError(`Bitbucket answered ${res.status} for ${path.split("?")[0]}`, res.status);
    }
    return (await res.json()) as T;
  }

  /** Every page of a paginated /2.0 listing, up to `max` values. */
  async getAll<T>(creds: BitbucketCredentials, path: string, max = 1000): Promise<T[]> {
    const values: T[] = [];
    let next: string | undefined = path;
    while (next && values.length < max) {
      const page: { values?: T[]; next?: string } = await this.getJson(creds, next);
      values.push(...(page.values ?? []));
      next = page.next ? page.next.replace(/^https?:\/\/[^/]+/, "") : undefined;
    }
    return values.slice(0, max);
  }

  /** A write to a /2.0 path with a JSON body; the parsed answer, or undefined for 204. */
  async sendJson<T>(creds: BitbucketCredentials, method: "POST" | "PUT" | "DELETE", path: string, body?: unknown): Promise<T | undefined> {
    const res = await this.apiCall(creds, `${creds.baseApiUrl}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }) });
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw new BitbucketError(`Bitbucket answered ${res.status} for ${method} ${path.split("?")[0]}`, res.status);
    }
    return res.status === 204 ? undefined : ((await res.json()) as T);
  }

  private async apiCall(inst: BitbucketCredentials, url: string, init: RequestInit): Promise<Response> {
    const token = await this.accessToken(inst);
    const res = await fetch(url, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}`, accept: "application/json" },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    if (res.status === 401) this.forgetToken(inst);
    return res;
  }
}

/** Fails the stream with `fetch.stalled` when no byte arrives for `ms`; maps a broken body to `fetch.failed`. */
function stallGuard(ms: number, abort: () => void, source: Readable): Transform {
  let timer: NodeJS.Timeout;
  const guard: Transform = new Transform({
    transform(chunk, _enc, done) {
      arm();
      done(null, chunk);
    },
    flush(done) {
      clearTimeout(timer);
      done();
    },
    destroy(err, done) {
      clearTimeout(timer);
      source.destroy();
      done(err);
    },
  });
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      abort();
      guard.destroy(new HoistError("fetch.stalled", `Bitbucket stopped sending the archive (nothing for ${Math.round(ms / 1000)} s). Push again or redeploy to retry.`));
    }, ms);
  };
  arm();
  source.on("error", (err) => {
    if (guard.destroyed) return;
    guard.destroy(new HoistError("fetch.failed", `The archive download broke off before the end (${err.message}). Push again or redeploy to retry.`));
  });
  return guard;
}

async function readCapped(res: Response, max: number, what: string): Promise<string> {
  const reader = res.body!.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      throw new HoistError("config.invalid", `${what} is larger than ${max / 1024} KB; keep the settings file small.`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
