import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { signAddonRequest } from "./connect-jwt.ts";
import { addonUrl } from "./descriptor.ts";
import type { Faults } from "./faults.ts";
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
  clientKey: string;
  addonKey: string;
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
 * Sends webhook events to every installed add-on that subscribed to them.
 * Deliveries run in the background (a push never waits for an add-on) and each is
 * recorded, attempts included, for tests and the admin API to inspect.
 */
export class WebhookDispatcher {
  private readonly records: DeliveryRecord[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly deps: WebhookDeps) {}

  dispatch(event: string, workspace: string, repository: string, payload: object): void {
    const body = JSON.stringify(payload);
    for (const installation of this.deps.state.installationsOf(workspace)) {
      for (const hook of installation.descriptor.modules.webhooks ?? []) {
        if (hook.event !== event && hook.event !== "*") continue;
        const url = addonUrl(installation.descriptor, hook.url);
        const requestUuid = randomUUID();
        const copies = this.deps.faults().webhooks.duplicate ? 2 : 1;
        for (let i = 0; i < copies; i++) {
          const record = this.newRecord(installation, event, url, repository, requestUuid, body);
          this.track(this.deliver(installation, record, body));
        }
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

  private newRecord(inst: Installation, event: string, url: string, repository: string, requestUuid: string, body: string) {
    const record: DeliveryRecord = {
      requestUuid,
      event,
      clientKey: inst.clientKey,
      addonKey: inst.addonKey,
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

  private async deliver(inst: Installation, record: DeliveryRecord, body: string): Promise<void> {
    const log = this.deps.log.child({ requestUuid: record.requestUuid, event: record.event, clientKey: inst.clientKey });
    if (record.payloadBytes > MAX_PAYLOAD_BYTES) {
      record.outcome = "dropped";
      log.warn({ bytes: record.payloadBytes }, "webhook payload over 256 KB: dropped, as Bitbucket does");
      return;
    }
    const maxAttempts = this.deps.faults().webhooks.noRetries ? 1 : MAX_ATTEMPTS;
    for (let number = 1; number <= maxAttempts; number++) {
      const attempt = await this.attempt(inst, record, body, number);
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

  private async attempt(inst: Installation, record: DeliveryRecord, body: string, number: number): Promise<DeliveryAttempt> {
    const started = Date.now();
    const token = signAddonRequest({
      clientKey: inst.clientKey,
      sharedSecret: inst.sharedSecret,
      method: "POST",
      url: record.url,
      baseUrl: inst.descriptor.baseUrl,
      skewSeconds: this.deps.faults().clockSkewSeconds,
    });
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
          authorization: `JWT ${token}`,
        },
      });
      await res.body?.cancel(); // the answer's body means nothing to Bitbucket
      return { number, status: res.status, ms: Date.now() - started };
    } catch (err) {
      return { number, status: null, error: (err as Error).message, ms: Date.now() - started };
    }
  }
}
