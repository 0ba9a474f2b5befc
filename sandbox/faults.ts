import { z } from "zod";

/**
 * Fault switches tests flip to see how the add-on copes with a misbehaving
 * Bitbucket. All off by default; set them programmatically (`sandbox.faults = …`)
 * or over HTTP (`PUT /_sandbox/faults`).
 */
export const faultsSchema = z.strictObject({
  archive: z
    .strictObject({
      /** Throttle archive downloads to this many bytes per second. */
      bytesPerSecond: z.number().int().positive().optional(),
      /** Answer archive downloads with this status instead of the archive. */
      failStatus: z.number().int().min(400).max(599).optional(),
      /** With failStatus: fail only this many downloads, then serve again (a transient outage). */
      failTimes: z.number().int().positive().optional(),
      /** Cut the connection after this many body bytes. */
      truncateAfterBytes: z.number().int().nonnegative().optional(),
      /** Send the archive but never finish the response. */
      neverEnd: z.boolean().optional(),
    })
    .default({}),
  api: z
    .strictObject({
      /** Answer every REST call under /2.0 (repositories, files, branches, statuses) with this status. */
      failStatus: z.number().int().min(400).max(599).optional(),
      /**
       * Answer the cross-workspace `GET /2.0/user/permissions/repositories` with 410 Gone, as
       * Bitbucket Cloud does since retiring it (CHANGE-2770); per-workspace calls keep working.
       */
      crossWorkspaceGone: z.boolean().optional(),
    })
    .default({}),
  webhooks: z
    .strictObject({
      /** Deliver every webhook twice, concurrently, with the same X-Request-UUID. */
      duplicate: z.boolean().optional(),
      /** Turn off Bitbucket's two immediate retries on 5xx/timeout. */
      noRetries: z.boolean().optional(),
      /** Send no webhooks at all (an outage of Bitbucket's webhook delivery). */
      drop: z.boolean().optional(),
    })
    .default({}),
  forge: z
    .strictObject({
      /** Every Forge product token (x-forge-oauth-system, x-forge-oauth-user) answers 401. */
      rejectProductTokens: z.boolean().optional(),
      /** Deliver every Forge event twice, concurrently. */
      duplicateEvents: z.boolean().optional(),
    })
    .default({}),
  /** Seconds added to the clock of every JWT the sandbox issues (iat/exp). */
  clockSkewSeconds: z.number().int().min(-86_400).max(86_400).default(0),
});

export type Faults = z.infer<typeof faultsSchema>;
export type FaultsInput = z.input<typeof faultsSchema>;

export function noFaults(): Faults {
  return faultsSchema.parse({});
}
