import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Request } from "express";
import { z } from "zod";
import { SandboxError } from "./errors.ts";
import { randomSecret } from "./ids.ts";
import { DEFAULT_CONSUMER_SCOPES, SCOPES, type Scope } from "./scopes.ts";
import { own, type SandboxState } from "./state.ts";

/**
 * OAuth consumers (Workspace settings → OAuth consumers): a key (the OAuth client_id), a secret,
 * one callback URL and the scopes the consumer asks for. What a "sign in with Bitbucket" app
 * registers; persisted with its secret in state.json (owner-only), like the other secrets.
 * Creating one with the same name, callback URL and scopes as an existing one returns that one,
 * so local mode keeps one consumer (and its users' refresh tokens) across restarts.
 */

export interface OAuthConsumer {
  key: string;
  secret: string;
  name: string;
  callbackUrl: string;
  scopes: Scope[];
  createdAt: string;
}

const httpUrl = z.url({ protocol: /^https?$/ });

const consumerInput = z.object({
  name: z.string().min(1).max(255).optional(),
  callbackUrl: httpUrl,
  scopes: z.array(z.enum(SCOPES)).min(1).optional(),
});

/** What a consumer is created from; checked here, so programmatic and HTTP callers get the same errors. */
export interface ConsumerInput {
  name?: string;
  callbackUrl: string;
  scopes?: string[];
}

export function createOAuthConsumer(state: SandboxState, input: ConsumerInput): { key: string; secret: string } {
  const parsed = consumerInput.safeParse(input);
  if (!parsed.success) throw new SandboxError("oauth_consumer.invalid", `not a usable OAuth consumer: ${z.prettifyError(parsed.error)}`);
  const opts = parsed.data;
  const name = opts.name ?? "Sandbox OAuth consumer";
  const scopes = [...new Set(opts.scopes ?? DEFAULT_CONSUMER_SCOPES)];
  const same = Object.values(state.data.oauthConsumers ?? {}).find(
    (c) => c.name === name && c.callbackUrl === opts.callbackUrl && c.scopes.join(" ") === scopes.join(" "),
  );
  if (same) return { key: same.key, secret: same.secret };
  const consumer: OAuthConsumer = {
    key: randomBytes(12).toString("base64url"),
    secret: randomSecret(),
    name,
    callbackUrl: opts.callbackUrl,
    scopes,
    createdAt: new Date().toISOString(),
  };
  state.data.oauthConsumers ??= {};
  state.data.oauthConsumers[consumer.key] = consumer;
  state.save();
  return { key: consumer.key, secret: consumer.secret };
}

export function findConsumer(state: SandboxState, key: string): OAuthConsumer | undefined {
  return own(state.data.oauthConsumers, key);
}

/**
 * The consumer a token request authenticates as: HTTP Basic `client_id:client_secret`
 * (as Bitbucket's docs show it) or the form fields client_id/client_secret. Undefined when
 * neither names a consumer whose secret matches.
 */
export function authenticateClient(state: SandboxState, req: Request): OAuthConsumer | undefined {
  const credentials = basicCredentials(req.get("authorization")) ?? formCredentials(req.body);
  if (!credentials) return undefined;
  const consumer = findConsumer(state, credentials.id);
  return consumer && sameSecret(consumer.secret, credentials.secret) ? consumer : undefined;
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic ([A-Za-z0-9+/=_-]+)$/i.exec(header ?? "");
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

function formCredentials(body: unknown): { id: string; secret: string } | undefined {
  const form = z.object({ client_id: z.string(), client_secret: z.string() }).safeParse(body ?? {});
  return form.success ? { id: form.data.client_id, secret: form.data.client_secret } : undefined;
}

/** Compares digests so neither length nor content leaks through timing. */
function sameSecret(expected: string, given: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(expected), digest(given));
}
