import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../../core/log.ts";
import type { BitbucketClient } from "../bitbucket/client.ts";
import type { Installation, Installations } from "./installations.ts";

/**
 * A first install carries no signature: anyone can POST one for a clientKey that has not
 * installed Hoist yet. Hoist keeps such an install apart as a candidate (installations.ts) and
 * trusts it only once the credentials it carries work: a token exchange against the install's
 * own (allowed) `baseUrl` succeeds, which only Bitbucket can make happen for a clientKey + secret
 * pair it issued. Bitbucket records the installation only after Hoist answers the install, so the
 * exchange runs after the answer, retried for a while. Every candidate of the clientKey is tried,
 * so a forged one sent before or after the real one changes nothing; the first that works becomes
 * the installation.
 *
 * An installation saved before candidates existed, or by a signed re-install, is verified the
 * same way with its stored credentials. Until verified, its webhooks deploy nothing and its
 * panel calls are refused.
 */

const RETRY_DELAYS_MS = [0, 250, 500, 1000, 2000, 4000, 8000, 15_000, 30_000];

export class InstallVerifier {
  private readonly running = new Map<string, Promise<boolean>>();

  constructor(
    private readonly installations: Installations,
    private readonly bitbucket: BitbucketClient,
    private readonly logger: Logger,
    private readonly delaysMs: number[] = RETRY_DELAYS_MS,
  ) {}

  /** Starts (or joins) verification of a fresh install; resolves true once verified. */
  verify(clientKey: string): Promise<boolean> {
    const existing = this.running.get(clientKey);
    if (existing) return existing;
    const run = this.attempt(clientKey).finally(() => this.running.delete(clientKey));
    this.running.set(clientKey, run);
    return run;
  }

  /** One immediate attempt (or the run in flight): for a webhook from a not-yet-verified installation. */
  verifyOnce(clientKey: string): Promise<boolean> {
    return this.running.get(clientKey) ?? this.attempt(clientKey, [0]);
  }

  /** Waits for a verification in flight, if any (webhooks that race a fresh install). */
  async settled(clientKey: string): Promise<void> {
    await this.running.get(clientKey);
  }

  isRunning(clientKey: string): boolean {
    return this.running.has(clientKey);
  }

  private async attempt(clientKey: string, delays = this.delaysMs): Promise<boolean> {
    const log = this.logger.child({ clientKey });
    for (const delay of delays) {
      if (delay) await sleep(delay);
      const inst = await this.installations.get(clientKey);
      if (inst?.state.status === "installed" && inst.state.verified) return true;
      for (const candidate of await this.installations.candidates(clientKey)) {
        if (await this.credentialsWork(this.installations.credentialsOf(candidate))) {
          await this.installations.activate(candidate);
          log.info("installation verified: its credentials work against Bitbucket");
          return true;
        }
      }
      if (inst?.state.status === "installed" && (await this.credentialsWork(inst))) {
        await this.installations.markVerified(clientKey);
        log.info("installation verified: its credentials work against Bitbucket");
        return true;
      }
    }
    log.warn("installation could not be verified (the token exchange never succeeded); it stays inactive");
    return false;
  }

  private async credentialsWork(inst: Installation): Promise<boolean> {
    try {
      await this.bitbucket.accessToken(inst);
      return true;
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, "token exchange refused");
      return false;
    }
  }
}
