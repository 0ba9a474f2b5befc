import { createHash } from "node:crypto";
import type { Logger } from "pino";
import type { Faults } from "./faults.ts";
import type { ForgeInstallation } from "./forge-installs.ts";
import { type ForgeEndpoint, type ForgeTrigger, PUSH_EVENT, triggerFor } from "./forge-manifest.ts";
import type { buildPushPayload } from "./push-events.ts";
import type { Repo, User, Workspace } from "./state.ts";

/** Forge's delivery rules for events to a remote (contract): 5 s, then up to 4 retries on timeout, connection error or 5xx. */
const TIMEOUT_MS = 5_000;
const RETRY_DELAYS_MS = [100, 200, 400, 800];
const KEPT_RECORDS = 1000;

/** One delivery attempt of one Forge event. */
export interface ForgeDeliveryRecord {
  eventType: string;
  url: string;
  /** The remote's answer; absent when there was none (timeout, refused connection). */
  status?: number;
  error?: string;
  /** 1 for the first try, up to 5. */
  attempt: number;
  /** "ws/repo" for push events, "" for lifecycle events. */
  repository: string;
  ref?: string;
  after?: string | null;
}

export interface ForgeEventDeps {
  log: Logger;
  faults: () => Faults;
  /** Counts background work for `settled()` (the webhook dispatcher's tracker). */
  track: (work: Promise<unknown>) => void;
  /** A fresh FIT for an event delivered to `trigger` (no principal). */
  fit: (inst: ForgeInstallation, trigger: ForgeTrigger) => Promise<string>;
  /** A fresh app system token for the installation. */
  systemToken: (inst: ForgeInstallation) => string;
}

type PushPayload = NonNullable<Awaited<ReturnType<typeof buildPushPayload>>>;

/**
 * Delivers Forge events to the remote: the endpoint of the trigger subscribed to the event,
 * `Authorization: Bearer <FIT>` (fresh per attempt) plus `x-forge-oauth-system` when the
 * endpoint enables appSystemToken. Each attempt is recorded for tests (`forgeDeliveries()`).
 */
export class ForgeEventDispatcher {
  private readonly records: ForgeDeliveryRecord[] = [];

  constructor(private readonly deps: ForgeEventDeps) {}

  list(): ForgeDeliveryRecord[] {
    return this.records.map((r) => ({ ...r }));
  }

  clear(): void {
    this.records.length = 0;
  }

  /**
   * Sends `body` to the trigger on `eventType`, if the app has one; resolves when every copy has
   * been delivered or given up on. The work is tracked, so `settled()` waits for it too.
   */
  deliver(inst: ForgeInstallation, eventType: string, body: object, meta: Pick<ForgeDeliveryRecord, "repository" | "ref" | "after">): Promise<void> {
    const target = triggerFor(inst.app, eventType);
    if (!target) return Promise.resolve();
    const copies = this.deps.faults().forge.duplicateEvents ? 2 : 1;
    const json = JSON.stringify(body);
    const work = Promise.all(Array.from({ length: copies }, () => this.send(inst, target, eventType, json, meta))).then(() => {});
    this.deps.track(work);
    return work;
  }

  /** One `avi:bitbucket:push:repository` event per changed ref of a push. */
  push(inst: ForgeInstallation, ws: Workspace, repo: Repo, payload: PushPayload): void {
    if (!triggerFor(inst.app, PUSH_EVENT)) return;
    for (const change of payload.push.changes) {
      const ref = change.new ?? change.old;
      if (!ref) continue;
      const body = {
        eventType: PUSH_EVENT,
        actor: actorOf(payload.actor),
        workspace: { uuid: ws.uuid },
        repository: { uuid: repo.uuid },
        project: { uuid: projectUuidOf(ws) },
        ref: { type: ref.type, name: ref.name },
        before: change.old?.target.hash ?? null,
        after: change.new?.target.hash ?? null,
        created: change.created,
        closed: change.closed,
        forced: change.forced,
        truncated: change.truncated,
        commits: change.commits.map((c) => ({ hash: c.hash, message: c.message })),
      };
      void this.deliver(inst, PUSH_EVENT, body, { repository: `${repo.workspace}/${repo.slug}`, ref: ref.name, after: body.after });
    }
  }

  private async send(inst: ForgeInstallation, target: { trigger: ForgeTrigger; endpoint: ForgeEndpoint }, eventType: string, body: string, meta: Pick<ForgeDeliveryRecord, "repository" | "ref" | "after">) {
    const url = `${target.endpoint.baseUrl}${target.endpoint.path}`;
    const log = this.deps.log.child({ eventType, installationId: inst.installationId, url });
    for (let attempt = 1; attempt <= RETRY_DELAYS_MS.length + 1; attempt++) {
      const record: ForgeDeliveryRecord = { eventType, url, attempt, ...meta };
      this.records.push(record);
      if (this.records.length > KEPT_RECORDS) this.records.shift();
      try {
        const headers: Record<string, string> = {
          "content-type": "application/json",
          authorization: `Bearer ${await this.deps.fit(inst, target.trigger)}`,
          ...(target.endpoint.systemToken ? { "x-forge-oauth-system": this.deps.systemToken(inst) } : {}),
        };
        const res = await fetch(url, { method: "POST", body, headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
        await res.body?.cancel();
        record.status = res.status;
      } catch (err) {
        record.error = (err as Error).message;
      }
      log.info({ attempt, status: record.status, error: record.error }, "Forge event attempt");
      if (record.status !== undefined && record.status < 500) return;
      const delay = RETRY_DELAYS_MS[attempt - 1];
      if (delay !== undefined) await new Promise((r) => setTimeout(r, delay));
    }
  }
}

function actorOf(actor: { account_id: string; uuid: string }) {
  return { type: "user", accountId: actor.account_id, uuid: actor.uuid };
}

/** The sandbox has no projects: each workspace has one, whose uuid is derived from the workspace's. */
export function projectUuidOf(ws: Workspace): string {
  const h = createHash("sha256").update(`project:${ws.uuid}`).digest("hex");
  return `{${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}}`;
}

/** The lifecycle event's body (contract): the workspace and who installed. */
export function lifecycleBody(eventType: string, ws: Workspace, installer: User) {
  return { eventType, context: { workspaceId: ws.uuid }, installerAccountId: installer.accountId };
}
