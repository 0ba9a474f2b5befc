import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { Config } from "../../core/config.ts";
import type { Logger } from "../../core/log.ts";
import type { DeployRecords } from "../../core/deploy-records.ts";
import { siteId } from "../../core/site.ts";
import { LOCAL_TIMEOUT_METADATA, parseStagingKey } from "../../core/staging.ts";
import type { EmbeddedBackend, S3ObjectCreated } from "./embedded-backend.ts";
import type { LocalLambda } from "./lambda-runner.ts";

/**
 * The embedded stand-in for the staging bucket's notification configuration: every archive
 * created in the staging bucket invokes the deployer asynchronously, as S3 → Lambda does.
 * The event is built the way s3rver reports it (raw key), which the handler must accept.
 */
export type StagingTrigger = {
  /** Resolves when every invocation (with its retries) for this staging key has ended. */
  settled(key: string): Promise<void> | undefined;
  disconnect(): void;
};

export function connectStagingTrigger(deps: { backend: EmbeddedBackend; lambda: LocalLambda; s3: S3Client; records: DeployRecords; config: Config; logger: Logger }): StagingTrigger {
  const running = new Map<string, Promise<void>>();
  const onCreated = (created: S3ObjectCreated) => {
    if (created.bucket !== deps.config.buckets.staging || !created.key.endsWith(".tar.gz")) return;
    const run = (async () => {
      const timeout = await functionTimeoutFor(deps.s3, created, deps.config);
      const outcome = await deps.lambda.invokeAsync(s3Event(created), timeout);
      if (!outcome.ok) {
        deps.logger.error({ key: created.key, error: outcome.error }, "deployer failed after Lambda-style retries");
        await expireIfAbandoned(deps.records, created.key);
      }
    })().catch((err) => deps.logger.error({ err, key: created.key }, "could not invoke the local deployer"));
    running.set(created.key, run);
    void run.finally(() => {
      if (running.get(created.key) === run) running.delete(created.key);
    });
  };
  deps.backend.events.on("objectCreated", onCreated);
  return {
    settled: (key) => running.get(key),
    disconnect: () => deps.backend.events.off("objectCreated", onCreated),
  };
}

/**
 * Every attempt was killed (the deadline, a crash) before the deploy recorded an outcome: say so
 * on the record, as Lambda's on-failure destination would let an operator do, instead of leaving
 * it "running" forever.
 */
export async function expireIfAbandoned(records: DeployRecords, key: string): Promise<void> {
  const staged = parseStagingKey(key);
  if (staged) await records.expireAbandoned(siteId(staged), staged.deployId);
}

/** `hoist deploy --timeout` stands in for a per-function timeout by tagging the staged object. */
async function functionTimeoutFor(s3: S3Client, created: S3ObjectCreated, config: Config): Promise<number> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: created.bucket, Key: created.key }));
    const tagged = Number(head.Metadata?.[LOCAL_TIMEOUT_METADATA]);
    return Number.isFinite(tagged) && tagged > 0 ? tagged : config.lambdaTimeoutSeconds;
  } catch {
    return config.lambdaTimeoutSeconds;
  }
}

/** An S3 notification event. `encodeKey` gives S3's encoding (real S3 and moto); s3rver's is raw. */
export function s3Event(created: S3ObjectCreated, opts: { encodeKey?: boolean } = {}): unknown {
  const key = opts.encodeKey ? encodeURIComponent(created.key).replace(/%20/g, "+").replace(/%2F/g, "/") : created.key;
  return {
    Records: [
      {
        eventVersion: "2.1",
        eventSource: "aws:s3",
        awsRegion: "us-east-1",
        eventTime: new Date().toISOString(),
        eventName: created.eventName,
        s3: { s3SchemaVersion: "1.0", bucket: { name: created.bucket, arn: `arn:aws:s3:::${created.bucket}` }, object: { key, size: created.size } },
      },
    ],
  };
}
