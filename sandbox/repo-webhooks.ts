import { createHmac, randomUUID } from "node:crypto";
import { NotFoundError } from "./errors.ts";
import type { SandboxState } from "./state.ts";

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
}

export function addRepoWebhook(state: SandboxState, workspace: string, repo: string, hook: { url: string; secret?: string; events?: string[] }): RepoWebhook {
  if (!state.repo(workspace, repo)) throw new NotFoundError("repo.not_found", `no repository ${workspace}/${repo}`);
  const created: RepoWebhook = {
    uuid: `{${randomUUID()}}`,
    workspace,
    repo,
    url: hook.url,
    secret: hook.secret,
    events: hook.events ?? ["repo:push"],
    createdAt: new Date().toISOString(),
  };
  state.data.repoWebhooks ??= {};
  state.data.repoWebhooks[created.uuid] = created;
  state.save();
  return created;
}

export function repoWebhooksFor(state: SandboxState, fullName: string, event: string): RepoWebhook[] {
  return Object.values(state.data.repoWebhooks ?? {}).filter((h) => `${h.workspace}/${h.repo}` === fullName && (h.events.includes(event) || h.events.includes("*")));
}

/** The headers only repository webhooks carry; the signature covers the exact bytes sent. */
export function repoWebhookHeaders(hook: RepoWebhook, body: string): Record<string, string> {
  const headers: Record<string, string> = { "x-hook-uuid": hook.uuid };
  if (hook.secret) headers["x-hub-signature"] = `sha256=${createHmac("sha256", hook.secret).update(body).digest("hex")}`;
  return headers;
}
