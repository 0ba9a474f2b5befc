import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { signAddonRequest } from "./connect-jwt.ts";
import { addonUrl } from "./descriptor.ts";
import type { Faults } from "./faults.ts";
import { repoWebhookHeaders, repoWebhooksFor } from "./repo-webhooks.ts";
import type { Installation, SandboxState } from "./state.ts";

/** Bitbucket's documented delivery rules. */
const TIMEOUT_MS = 10_000;
const MAX_ATTEMPTS = 3; // the first try plus two immediate retries on 5xx/timeout
const MAX_PAYLOAD_BYTES = 256 * 1024; // larger payloads are dropped, not sent
const KEPT_RECORDS = 1000;

export interface DeliveryAttempt {
  number: number;
  status: number | null; // null: no HTTP answer (timeout, refused connection)
  error?: string;
  ms: number;
}

export interface DeliveryRecord {
  requestUuid: string;
  event: string;
  /** Add-on deliveries: the installation. Empty for repository webhooks. */
  clientKey: string;
  addonKey: string;
  /** Repository webhook deliveries: the hook (X-Hook-UUID). */
  hookUuid?: string;
  url: string;
  repository: string;
  outcome: "pending" | "delivered" | "failed" | "dropped";
  attempts: DeliveryAttempt[];
  payloadBytes: number;
  startedAt: string;
}

export interface WebhookDeps {
  state: SandboxState;
  faults: () => Faults;
  log: Logger;
}

/**
 * Sends webhook events to every installed add-on that subscribed to them (JWT-signed) and to
 * the repository's own webhooks (X-Hub-Signature when the hook has a secret).
 * Deliveries run in the background (a push never waits for an add-on) and each is
 * recorded, attempts included, for tests and the admin API to inspect.
 */
export class WebhookDispatcher {
  private readonly records: DeliveryRecord[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly deps: WebhookDeps) {}

  dispatch(event: string, workspace: string, repository: string, payload: object): void {
    if (this.deps.faults().webhooks.drop) return;
    const body = JSON.stringify(payload);
    for (const installation of this.deps.state.installationsOf(workspace)) {
      for (const hook of installation.descriptor.modules.webhooks ?? []) {
        if (hook.event !== event && hook.event !== "*") continue;
        const url = addonUrl(installation.descriptor, hook.url);
        const requestUuid = randomUUID();
        const copies = this.deps.faults().webhooks.duplicate ? 2 : 1;
        for (let i = 0; i < copies; i++) {
          const record = this.newRecord({ clientKey: installation.clientKey, addonKey: installation.addonKey }, event, url, repository, requestUuid, body);
          const log = this.deps.log.child({ requestUuid, event, clientKey: installation.clientKey });
          this.track(this.deliver(record, body, log, () => ({ authorization: `JWT ${this.addonJwt(installation, record)}` })));
        }
      }
    }
    for (const hook of repoWebhooksFor(this.deps.state, repository, event)) {
      const requestUuid = randomUUID();
      const copies = this.deps.faults().webhooks.duplicate ? 2 : 1;
      for (let i = 0; i < copies; i++) {
        const record = this.newRecord({ clientKey: "", addonKey: "", hookUuid: hook.uuid }, event, hook.url, repository, requestUuid, body);
        const log = this.deps.log.child({ requestUuid, event, hookUuid: hook.uuid });
        this.track(this.deliver(record, body, log, () => repoWebhookHeaders(hook, body)));
      }
    }
  }

  list(): DeliveryRecord[] {
    return this.records.map((r) => structuredClone(r));
  }

  clear(): void {
    this.records.length = 0;
  }

  /** Resolves when every delivery started so far has finished (retries included). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private newRecord(to: Pick<DeliveryRecord, "clientKey" | "addonKey" | "hookUuid">, event: string, url: string, repository: string, requestUuid: string, body: string) {
    const record: DeliveryRecord = {
      requestUuid,
      event,
      ...to,
      url,
      repository,
      outcome: "pending",
      attempts: [],
      payloadBytes: Buffer.byteLength(body),
      startedAt: new Date().toISOString(),
    };
    this.records.push(record);
    if (this.records.length > KEPT_RECORDS) this.records.shift();
    return record;
  }

  /** Counts `work` as in flight for settled(): pushes register before git answers, so none is missed. */
  track(work: Promise<unknown>): void {
    const done = work.then(
      () => {},
      () => {},
    );
    this.inFlight.add(done);
    done.finally(() => this.inFlight.delete(done));
  }

  private async deliver(record: DeliveryRecord, body: string, log: Logger, authHeaders: () => Record<string, string>): Promise<void> {
    if (record.payloadBytes > MAX_PAYLOAD_BYTES) {
      record.outcome = "dropped";
      log.warn({ bytes: record.payloadBytes }, "webhook payload over 256 KB: dropped, as Bitbucket does");
      return;
    }
    const maxAttempts = this.deps.faults().webhooks.noRetries ? 1 : MAX_ATTEMPTS;
    for (let number = 1; number <= maxAttempts; number++) {
      const attempt = await this.attempt(record, body, number, authHeaders());
      record.attempts.push(attempt);
      log.info({ attempt: number, status: attempt.status, error: attempt.error, ms: attempt.ms }, "webhook attempt");
      const retryable = attempt.status === null || attempt.status >= 500;
      if (!retryable) {
        record.outcome = attempt.status !== null && attempt.status < 300 ? "delivered" : "failed";
        return;
      }
    }
    record.outcome = "failed";
  }

  /** A fresh JWT per attempt, as Bitbucket signs each add-on request. */
  private addonJwt(inst: Installation, record: DeliveryRecord): string {
    return signAddonRequest({
      clientKey: inst.clientKey,
      sharedSecret: inst.sharedSecret,
      method: "POST",
      url: record.url,
      baseUrl: inst.descriptor.baseUrl,
      skewSeconds: this.deps.faults().clockSkewSeconds,
    });
  }

  private async attempt(record: DeliveryRecord, body: string, number: number, authHeaders: Record<string, string>): Promise<DeliveryAttempt> {
    const started = Date.now();
    try {
      const res = await fetch(record.url, {
        method: "POST",
        body,
        signal: AbortSignal.timeout(TIMEOUT_MS),
        headers: {
          "content-type": "application/json",
          "user-agent": "Bitbucket-Webhooks/2.0",
          "x-event-key": record.event,
          "x-request-uuid": record.requestUuid,
          "x-attempt-number": String(number),
          ...authHeaders,
        },
      });
      await res.body?.cancel(); // the answer's body means nothing to Bitbucket
      return { number, status: res.status, ms: Date.now() - started };
    } catch (err) {
      return { number, status: null, error: (err as Error).message, ms: Date.now() - started };
    }
  }
}
