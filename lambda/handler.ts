import { z } from "zod";
import { createClients, type Clients } from "../core/aws.ts";
import { loadConfig, type Config } from "../core/config.ts";
import { createLogger, type Logger } from "../core/log.ts";
import { DeployRecords } from "../core/deploy-records.ts";
import { collectGarbage, type GcReport } from "../core/gc.ts";
import { siteId } from "../core/site.ts";
import { Sites } from "../core/sites.ts";
import { parseStagingKey } from "../core/staging.ts";
import { runDeploy, type LambdaClock, type RunResult } from "./deploy/run-deploy.ts";
import { parseS3Event } from "./s3-event.ts";

/**
 * The deployer Lambda: S3 ObjectCreated on the staging bucket → runDeploy for each staged archive;
 * a scheduled event → garbage collection (core/gc.ts).
 * Config, clients and logger are made once per container (cold start) and reused.
 */
type Runtime = { config: Config; clients: Clients; logger: Logger };
let runtime: Runtime | undefined;

function getRuntime(): Runtime {
  if (!runtime) {
    const config = loadConfig();
    const logger = createLogger({ level: config.log.level, httpUrl: config.log.httpUrl, name: "hoist-deployer" });
    runtime = { config, clients: createClients(config), logger };
  }
  return runtime;
}

export type HandlerContext = LambdaClock & { awsRequestId?: string };

/** EventBridge's scheduled event (infra/template.yaml, GarbageCollectionSchedule): run gc instead of a deploy. */
const ScheduledEvent = z.object({ source: z.literal("aws.events"), "detail-type": z.literal("Scheduled Event") });

export async function handler(event: unknown, context: HandlerContext): Promise<{ results: (RunResult | { outcome: "ignored"; key: string })[]; gc?: GcReport }> {
  const rt = getRuntime();
  const log = rt.logger.child({ requestId: context.awsRequestId });
  if (ScheduledEvent.safeParse(event).success) {
    const deps = { ...rt, logger: log, records: new DeployRecords(rt.clients.db, rt.config.tables.deploys), sites: new Sites(rt.clients.db, rt.config.tables.sites) };
    return { results: [], gc: await collectGarbage(deps) };
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
    results.push(await runDeploy({ ...rt, logger: log }, { bucket: object.bucket, key: object.key, siteId: siteId(staged), deployId: staged.deployId }, context));
  }
  return { results };
}
