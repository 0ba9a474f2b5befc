import { randomSecret } from "./ids.ts";
import type { OAuthConsumer } from "./oauth-consumers.ts";
import { own, type SandboxState, type User } from "./state.ts";
import { findUser } from "./users.ts";

/** Bitbucket's authorization codes live for ten minutes and are good for one exchange. */
export const CODE_TTL_MS = 10 * 60 * 1000;

/** A refresh token's grant, persisted in state.json: refresh tokens outlive a sandbox restart. */
export interface RefreshGrant {
  consumerKey: string;
  nickname: string;
  scopes: string[];
  issuedAt: string;
}

export interface AuthorizationCode {
  consumerKey: string;
  nickname: string;
  scopes: string[];
  /** The redirect_uri the authorize request carried, if any; the exchange must then repeat it. */
  redirectUri?: string;
  expiresAt: number; // ms since epoch
}

interface UserAccessToken {
  consumerKey: string;
  nickname: string;
  scopes: string[];
  expiresAt: number; // ms since epoch
}

/** What a live user access token stands for. */
export interface UserAccess {
  user: User;
  consumerKey: string;
  scopes: string[];
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  scopes: string[];
}

/** Why an exchange failed; the token endpoint answers `invalid_grant` with this text. */
export class GrantRefused extends Error {}

/**
 * The authorization-code side of OAuth: codes and access tokens in memory (short-lived: after a
 * restart a client refreshes), refresh tokens in state.json. Refresh tokens rotate: each use
 * returns a new one and retires the old, checked and retired in one synchronous step so two
 * concurrent refreshes with the same token cannot both succeed.
 */
export class UserGrants {
  private readonly codes = new Map<string, AuthorizationCode>();
  private readonly access = new Map<string, UserAccessToken>();

  constructor(
    private readonly state: SandboxState,
    private readonly ttlSeconds: () => number,
  ) {}

  issueCode(consumer: OAuthConsumer, user: User, redirectUri: string | undefined): string {
    this.sweep();
    const code = randomSecret();
    this.codes.set(code, {
      consumerKey: consumer.key,
      nickname: user.nickname,
      scopes: [...consumer.scopes],
      redirectUri,
      expiresAt: Date.now() + CODE_TTL_MS,
    });
    return code;
  }

  /** Trades a code for tokens; the code is spent only by a successful exchange. */
  redeemCode(consumer: OAuthConsumer, code: string, redirectUri: string | undefined): IssuedTokens {
    const found = this.codes.get(code);
    if (!found || found.expiresAt <= Date.now()) throw new GrantRefused("the authorization code is unknown, expired or already used");
    if (found.consumerKey !== consumer.key) throw new GrantRefused("the authorization code was issued to another consumer");
    if (redirectUri !== undefined && redirectUri !== (found.redirectUri ?? consumer.callbackUrl)) {
      throw new GrantRefused("redirect_uri does not match the one the authorization request used");
    }
    this.codes.delete(code);
    return this.issue(found);
  }

  /** Trades a refresh token for new tokens, retiring it. */
  refresh(consumer: OAuthConsumer, refreshToken: string): IssuedTokens {
    const grant = own(this.state.data.oauthRefreshTokens, refreshToken);
    if (!grant) throw new GrantRefused("the refresh token is unknown, revoked or already used");
    if (grant.consumerKey !== consumer.key) throw new GrantRefused("the refresh token was issued to another consumer");
    delete this.state.data.oauthRefreshTokens?.[refreshToken];
    return this.issue(grant);
  }

  /** The user behind a live access token, or undefined (unknown, expired, revoked). */
  lookup(token: string): UserAccess | undefined {
    const found = this.access.get(token);
    if (!found || found.expiresAt <= Date.now()) return undefined;
    const user = findUser(this.state, found.nickname);
    return user && { user, consumerKey: found.consumerKey, scopes: found.scopes };
  }

  /** Revokes every code, access token and refresh token of a user (Bitbucket: revoke the app's access). */
  revokeUser(nickname: string): void {
    for (const [code, grant] of this.codes) if (grant.nickname === nickname) this.codes.delete(code);
    for (const [token, grant] of this.access) if (grant.nickname === nickname) this.access.delete(token);
    const refresh = this.state.data.oauthRefreshTokens ?? {};
    for (const [token, grant] of Object.entries(refresh)) if (grant.nickname === nickname) delete refresh[token];
    this.state.save();
  }

  private issue(grant: { consumerKey: string; nickname: string; scopes: string[] }): IssuedTokens {
    if (!findUser(this.state, grant.nickname)) throw new GrantRefused("the user of this grant no longer exists");
    this.sweep();
    const expiresIn = this.ttlSeconds();
    const accessToken = randomSecret();
    const refreshToken = randomSecret();
    const { consumerKey, nickname, scopes } = grant;
    this.access.set(accessToken, { consumerKey, nickname, scopes, expiresAt: Date.now() + expiresIn * 1000 });
    this.state.data.oauthRefreshTokens ??= {};
    this.state.data.oauthRefreshTokens[refreshToken] = { consumerKey, nickname, scopes, issuedAt: new Date().toISOString() };
    this.state.save();
    return { accessToken, refreshToken, expiresIn, scopes };
  }

  private sweep(): void {
    const now = Date.now();
    for (const [code, grant] of this.codes) if (grant.expiresAt <= now) this.codes.delete(code);
    for (const [token, grant] of this.access) if (grant.expiresAt <= now) this.access.delete(token);
  }
}
