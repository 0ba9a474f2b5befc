import { LambdaClient } from "@aws-sdk/client-lambda";
import { z } from "zod";
import { createClients, type Clients } from "../core/aws.ts";
import { loadConfig, type Config } from "../core/config.ts";
import { createLogger, type Logger } from "../core/log.ts";
import { DeployRecords } from "../core/deploy-records.ts";
import { collectGarbage, type GcReport } from "../core/gc.ts";
import { siteId } from "../core/site.ts";
import { Sites } from "../core/sites.ts";
import { parseStagingKey } from "../core/staging.ts";
import { ContinuationEventSchema, invokeItself, type Continue } from "./deploy/continuation.ts";
import { runDeploy, type LambdaClock, type RunResult } from "./deploy/run-deploy.ts";
import { parseS3Event } from "./s3-event.ts";

/**
 * The deployer Lambda: S3 ObjectCreated on the staging bucket → runDeploy for each staged archive;
 * its own continuation event (a deploy handed on at the time limit, deploy/continuation.ts) →
 * runDeploy picking up where the last run stopped; a scheduled event → garbage collection (core/gc.ts).
 * Config, clients and logger are made once per container (cold start) and reused.
 */
type Runtime = { config: Config; clients: Clients; logger: Logger; lambda?: LambdaClient };
let runtime: Runtime | undefined;

function getRuntime(): Runtime {
  if (!runtime) {
    const config = loadConfig();
    const logger = createLogger({ level: config.log.level, httpUrl: config.log.httpUrl, name: "hoist-deployer" });
    runtime = { config, clients: createClients(config), logger };
  }
  return runtime;
}

export type HandlerContext = LambdaClock & {
  awsRequestId?: string;
  /** Lambda's: the function (and alias) this invocation runs as; continuations invoke it. */
  invokedFunctionArn?: string;
  /** The local Lambda runner's way to start a continuation (server/local/lambda-runner.ts). */
  continueWith?: Continue;
};

/** How this invocation starts a continuation: the local runner's, else an async Invoke of this very function. */
function continuationFor(rt: Runtime, context: HandlerContext): Continue | undefined {
  if (context.continueWith) return context.continueWith;
  if (!context.invokedFunctionArn) return undefined;
  rt.lambda ??= new LambdaClient({ region: rt.config.region, endpoint: rt.config.endpoints.lambda });
  return invokeItself(rt.lambda, context.invokedFunctionArn);
}

/** EventBridge's scheduled event (infra/template.yaml, GarbageCollectionSchedule): run gc instead of a deploy. */
const ScheduledEvent = z.object({ source: z.literal("aws.events"), "detail-type": z.literal("Scheduled Event") });

export async function handler(event: unknown, context: HandlerContext): Promise<{ results: (RunResult | { outcome: "ignored"; key: string })[]; gc?: GcReport }> {
  const rt = getRuntime();
  const log = rt.logger.child({ requestId: context.awsRequestId });
  if (ScheduledEvent.safeParse(event).success) {
    const deps = { ...rt, logger: log, records: new DeployRecords(rt.clients.db, rt.config.tables.deploys), sites: new Sites(rt.clients.db, rt.config.tables.sites) };
    return { results: [], gc: await collectGarbage(deps) };
  }
  const continuation = ContinuationEventSchema.safeParse(event);
  if (continuation.success) {
    const c = continuation.data;
    const staged = c.bucket === rt.config.buckets.staging ? parseStagingKey(c.key) : null;
    if (!staged || siteId(staged) !== c.siteId || staged.deployId !== c.deployId) {
      log.warn({ key: c.key.slice(0, 300) }, "continuation names no staged deploy archive; ignored");
      return { results: [{ outcome: "ignored", key: c.key }] };
    }
    const opts = { token: c.token, continueWith: continuationFor(rt, context) };
    return { results: [await runDeploy({ ...rt, logger: log }, { bucket: c.bucket, key: c.key, siteId: c.siteId, deployId: c.deployId }, context, opts)] };
  }
  let objects: ReturnType<typeof parseS3Event>;
  try {
    objects = parseS3Event(event);
  } catch (err) {
    // A malformed event cannot be retried into shape: log its outline (not its body) and drop it.
    log.error({ err: (err as Error).message }, "not an S3 ObjectCreated event; ignored");
    return { results: [] };
  }
  const results: (RunResult | { outcome: "ignored"; key: string })[] = [];
  for (const object of objects) {
    const staged = object.bucket === rt.config.buckets.staging ? parseStagingKey(object.key) : null;
    if (!staged) {
      log.warn({ bucket: object.bucket, key: object.key.slice(0, 300) }, "object is not a staged deploy archive; ignored");
      results.push({ outcome: "ignored", key: object.key });
      continue;
    }
    results.push(await runDeploy({ ...rt, logger: log }, { bucket: object.bucket, key: object.key, siteId: siteId(staged), deployId: staged.deployId }, context, { continueWith: continuationFor(rt, context) }));
  }
  return { results };
}
