import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import type { Config } from "../../core/config.ts";
import type { UserGrant } from "../bitbucket/client.ts";
import type { DashboardStore, Grant } from "./store.ts";

/**
 * Sign in with Bitbucket: the OAuth 2.0 authorization-code grant against Hoist's OAuth consumer
 * (HOIST_OAUTH_CLIENT_ID/SECRET), at HOIST_BITBUCKET_URL. Tokens travel in the Authorization
 * header only. Refresh tokens rotate on every use: UserTokens writes the new pair only over the
 * version it read (store.ts), and a refresh that lost the race takes the winner's pair.
 */

const TOKEN_PATH = "/site/oauth2/access_token";
const REQUEST_TIMEOUT_MS = 10_000;
/** An access token this close to expiring is refreshed first. */
const EARLY_MS = 60_000;
/** After a refused refresh: how often, and how far apart, to look for the pair another process got. */
const WINNER_LOOKS = 10;
const WINNER_WAIT_MS = 200;

const TokenResponse = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  expires_in: z.coerce.number().positive(),
  scope: z.string().optional(),
  scopes: z.string().optional(),
});
export type Tokens = { accessToken: string; refreshToken: string; accessExpiresAt: number; scopes: string[] };

export class OAuthRefused extends Error {
  override name = "OAuthRefused";
  constructor(
    message: string,
    readonly error: string,
  ) {
    super(message);
  }
}

export type OAuthSettings = { clientId: string; clientSecret: string; bitbucketUrl: string; apiUrl: string; callbackUrl: string };

export function oauthSettings(config: Config): OAuthSettings | undefined {
  if (!config.oauth) return undefined;
  return { ...config.oauth, bitbucketUrl: config.bitbucket.url, apiUrl: config.bitbucket.apiUrl, callbackUrl: `${config.baseUrl}/auth/bitbucket/callback` };
}

export function authorizeUrl(settings: OAuthSettings, state: string): string {
  const query = new URLSearchParams({ client_id: settings.clientId, response_type: "code", state, redirect_uri: settings.callbackUrl });
  return `${settings.bitbucketUrl}/site/oauth2/authorize?${query}`;
}

export function exchangeCode(settings: OAuthSettings, code: string): Promise<Tokens> {
  return tokenRequest(settings, { grant_type: "authorization_code", code, redirect_uri: settings.callbackUrl });
}

export function refreshTokens(settings: OAuthSettings, refreshToken: string): Promise<Tokens> {
  return tokenRequest(settings, { grant_type: "refresh_token", refresh_token: refreshToken });
}

async function tokenRequest(settings: OAuthSettings, form: Record<string, string>): Promise<Tokens> {
  const res = await fetch(`${settings.bitbucketUrl}${TOKEN_PATH}`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${settings.clientId}:${settings.clientSecret}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    },
    body: new URLSearchParams(form).toString(),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const body: unknown = await res.json().catch(() => ({}));
  if (!res.ok) {
    const error = typeof (body as { error?: unknown }).error === "string" ? (body as { error: string }).error : `http_${res.status}`;
    throw new OAuthRefused(`Bitbucket refused the token request (${error})`, error);
  }
  const parsed = TokenResponse.safeParse(body);
  if (!parsed.success) throw new OAuthRefused("Bitbucket's token response is not one Hoist understands", "bad_response");
  const t = parsed.data;
  return { accessToken: t.access_token, refreshToken: t.refresh_token, accessExpiresAt: Date.now() + t.expires_in * 1000, scopes: (t.scope ?? t.scopes ?? "").split(/[\s,]+/).filter(Boolean) };
}

/** The signed-in user's access token, refreshed (and rotated) when it is about to expire. */
export class UserTokens {
  private readonly refreshing = new Map<string, Promise<string>>();

  constructor(
    private readonly store: DashboardStore,
    private readonly settings: OAuthSettings,
  ) {}

  /** Credentials for Bitbucket calls on the user's behalf. */
  credentials(userUuid: string): UserGrant {
    return { kind: "user", userUuid, baseUrl: this.settings.bitbucketUrl, baseApiUrl: this.settings.apiUrl, token: () => this.token(userUuid) };
  }

  async save(userUuid: string, tokens: Tokens): Promise<void> {
    await this.store.putGrant({ userUuid, ...tokens });
  }

  async token(userUuid: string): Promise<string> {
    const grant = await this.store.getGrant(userUuid);
    if (!grant) throw new OAuthRefused("this user has no Bitbucket grant; sign in again", "no_grant");
    if (grant.accessExpiresAt - EARLY_MS > Date.now()) return grant.accessToken;
    const running = this.refreshing.get(userUuid);
    if (running) return running;
    const refresh = this.refresh(grant).finally(() => this.refreshing.delete(userUuid));
    this.refreshing.set(userUuid, refresh);
    return refresh;
  }

  private async refresh(grant: Grant): Promise<string> {
    try {
      const tokens = await refreshTokens(this.settings, grant.refreshToken);
      if (await this.store.putGrant({ userUuid: grant.userUuid, ...tokens }, grant.version)) return tokens.accessToken;
    } catch (err) {
      if (!(err instanceof OAuthRefused)) throw err;
      // Refused: another process may have rotated the token first; its new pair reaches the store
      // a moment after Bitbucket answered it, so look a few times before giving up.
      for (let look = 0; look < WINNER_LOOKS; look++) {
        const now = await this.store.getGrant(grant.userUuid);
        if (now && now.version !== grant.version) return now.accessToken;
        await sleep(WINNER_WAIT_MS);
      }
      throw err;
    }
    // Another process wrote a newer pair meanwhile: Bitbucket accepted ours too, but theirs is what is stored.
    return (await this.store.getGrant(grant.userUuid))!.accessToken;
  }
}
