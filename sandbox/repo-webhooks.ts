import { createHmac, randomUUID } from "node:crypto";
import { NotFoundError } from "./errors.ts";
import { own, type SandboxState } from "./state.ts";

/**
 * Plain repository webhooks (Repository settings → Webhooks), the kind that works without
 * Connect. With a secret, Bitbucket signs the raw body: `X-Hub-Signature: sha256=<hex HMAC-SHA256>`;
 * every delivery also carries `X-Hook-UUID`. Delivery itself (timeout, retries, the 256 KB drop)
 * is the same as for add-on webhooks: see webhooks.ts.
 */

export interface RepoWebhook {
  uuid: string;
  workspace: string;
  repo: string;
  url: string;
  /** Absent: deliveries go unsigned, as Bitbucket sends them for hooks without a secret. */
  secret?: string;
  events: string[];
  createdAt: string;
  description?: string;
  /** Absent means active; an inactive hook gets no deliveries. */
  active?: boolean;
}

/** What callers may see of a hook: never its secret. */
export interface RepoWebhookSummary {
  uuid: string;
  url: string;
  description: string;
  active: boolean;
  events: string[];
  secretSet: boolean;
  createdAt: string;
}

export interface RepoWebhookInput {
  url: string;
  secret?: string;
  events?: string[];
  description?: string;
  active?: boolean;
}

export function addRepoWebhook(state: SandboxState, workspace: string, repo: string, hook: RepoWebhookInput): RepoWebhook {
  if (!state.repo(workspace, repo)) throw new NotFoundError("repo.not_found", `no repository ${workspace}/${repo}`);
  const created: RepoWebhook = {
    uuid: `{${randomUUID()}}`,
    workspace,
    repo,
    url: hook.url,
    secret: hook.secret,
    events: hook.events ?? ["repo:push"],
    createdAt: new Date().toISOString(),
    description: hook.description,
    active: hook.active,
  };
  state.data.repoWebhooks ??= {};
  state.data.repoWebhooks[created.uuid] = created;
  state.save();
  return created;
}

/** Changes what `patch` names; `secret: null` removes the secret, an absent secret keeps it. */
export function updateRepoWebhook(state: SandboxState, hook: RepoWebhook, patch: Partial<Omit<RepoWebhookInput, "secret">> & { secret?: string | null }): RepoWebhook {
  const { secret, ...rest } = patch;
  const updated: RepoWebhook = { ...hook, ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) };
  if (secret === null) delete updated.secret;
  else if (secret !== undefined) updated.secret = secret;
  state.data.repoWebhooks ??= {};
  state.data.repoWebhooks[hook.uuid] = updated;
  state.save();
  return updated;
}

export function deleteRepoWebhook(state: SandboxState, hook: RepoWebhook): void {
  delete state.data.repoWebhooks?.[hook.uuid];
  state.save();
}

/** A repository's hooks, oldest first. */
export function repoWebhooksOf(state: SandboxState, workspace: string, repo: string): RepoWebhook[] {
  return Object.values(state.data.repoWebhooks ?? {})
    .filter((h) => h.workspace === workspace && h.repo === repo)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** The hook `uid` names on ws/repo: Bitbucket takes the UUID with or without its braces. */
export function findRepoWebhook(state: SandboxState, workspace: string, repo: string, uid: string): RepoWebhook | undefined {
  const bare = uid.trim().replace(/^\{|\}$/g, "").toLowerCase();
  const hook = own(state.data.repoWebhooks, `{${bare}}`);
  return hook && hook.workspace === workspace && hook.repo === repo ? hook : undefined;
}

export function summariseWebhook(hook: RepoWebhook): RepoWebhookSummary {
  return {
    uuid: hook.uuid,
    url: hook.url,
    description: hook.description ?? "",
    active: hook.active !== false,
    events: [...hook.events],
    secretSet: Boolean(hook.secret),
    createdAt: hook.createdAt,
  };
}

export function repoWebhooksFor(state: SandboxState, fullName: string, event: string): RepoWebhook[] {
  return Object.values(state.data.repoWebhooks ?? {}).filter(
    (h) => `${h.workspace}/${h.repo}` === fullName && h.active !== false && (h.events.includes(event) || h.events.includes("*")),
  );
}

/** The headers only repository webhooks carry; the signature covers the exact bytes sent. */
export function repoWebhookHeaders(hook: RepoWebhook, body: string): Record<string, string> {
  const headers: Record<string, string> = { "x-hook-uuid": hook.uuid };
  if (hook.secret) headers["x-hub-signature"] = `sha256=${createHmac("sha256", hook.secret).update(body).digest("hex")}`;
  return headers;
}
