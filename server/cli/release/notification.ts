import {
  GetBucketNotificationConfigurationCommand,
  type LambdaFunctionConfiguration,
  PutBucketNotificationConfigurationCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { awsCall, ReleaseError } from "./errors.ts";
import { unqualified } from "./function.ts";

/** Our entry in the staging bucket's notification configuration; infra/template.yaml uses the same. */
export const NOTIFICATION_ID = "hoist-deployer";
export const NOTIFICATION_EVENT = "s3:ObjectCreated:*";
/** Staged archives are `deploys/<workspace>/<repo>/<deployId>.tar.gz` (core/staging.ts). */
export const NOTIFICATION_FILTER = { prefix: "deploys/", suffix: ".tar.gz" } as const;

export function stagingBucketMissing(bucket: string): ReleaseError {
  return new ReleaseError(
    "release.staging_bucket_missing",
    `The staging bucket ${bucket} does not exist — create the stack from infra/template.yaml (its StagingBucketName output) or set HOIST_STAGING_BUCKET to the bucket the add-on stages archives in.`,
  );
}

/**
 * Makes the staging bucket send ObjectCreated events for staged archives to the alias.
 * The bucket's other notification entries (topics, queues, other functions) are kept: the
 * Put call replaces the whole configuration, so it is read, edited and written back.
 */
export async function ensureStagingNotification(s3: S3Client, bucket: string, aliasArn: string): Promise<"set" | "updated" | "unchanged"> {
  const explain = (err: { name?: string }) => (err.name === "NoSuchBucket" ? stagingBucketMissing(bucket) : undefined);
  const current = await awsCall("s3:GetBucketNotification", bucket, () => s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket })), explain);
  const ours: LambdaFunctionConfiguration = {
    Id: NOTIFICATION_ID,
    LambdaFunctionArn: aliasArn,
    Events: [NOTIFICATION_EVENT],
    Filter: {
      Key: {
        FilterRules: [
          { Name: "prefix", Value: NOTIFICATION_FILTER.prefix },
          { Name: "suffix", Value: NOTIFICATION_FILTER.suffix },
        ],
      },
    },
  };
  // Ours: our Id, or any entry for this function — infra/template.yaml's entry has an id S3
  // generated, and S3 refuses two entries whose event types and key filters overlap.
  const ourFunction = unqualified(aliasArn);
  const isOurs = (c: LambdaFunctionConfiguration) => c.Id === NOTIFICATION_ID || unqualified(c.LambdaFunctionArn ?? "") === ourFunction;
  const all = current.LambdaFunctionConfigurations ?? [];
  const others = all.filter((c) => !isOurs(c));
  const existing = all.filter(isOurs);
  if (existing.length === 1 && sameNotification(existing[0]!, ours)) return "unchanged";
  await awsCall(
    "s3:PutBucketNotification",
    bucket,
    () =>
      s3.send(
        new PutBucketNotificationConfigurationCommand({
          Bucket: bucket,
          NotificationConfiguration: {
            TopicConfigurations: current.TopicConfigurations,
            QueueConfigurations: current.QueueConfigurations,
            EventBridgeConfiguration: current.EventBridgeConfiguration,
            LambdaFunctionConfigurations: [...others, ours],
          },
        }),
      ),
    explain,
  );
  return existing.length > 0 ? "updated" : "set";
}

// S3 answers Get with filter rule names "Prefix"/"Suffix" whatever case they were put in: compare lowercased.
function sameNotification(a: LambdaFunctionConfiguration, b: LambdaFunctionConfiguration): boolean {
  const rules = (c: LambdaFunctionConfiguration) =>
    (c.Filter?.Key?.FilterRules ?? [])
      .map((r) => `${(r.Name ?? "").toLowerCase()}=${r.Value}`)
      .sort()
      .join("&");
  return a.LambdaFunctionArn === b.LambdaFunctionArn && [...(a.Events ?? [])].sort().join() === [...(b.Events ?? [])].sort().join() && rules(a) === rules(b);
}
