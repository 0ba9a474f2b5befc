import { CreateRoleCommand } from "@aws-sdk/client-iam";
import {
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  GetPolicyCommand,
  ListVersionsByFunctionCommand,
  UpdateFunctionCodeCommand,
} from "@aws-sdk/client-lambda";
import { CreateBucketCommand, GetBucketNotificationConfigurationCommand, PutBucketNotificationConfigurationCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Config, loadConfig } from "../../core/config.ts";
import { createReleaseClients, destroyReleaseClients, type ReleaseClients } from "../../server/cli/release/clients.ts";
import { deployFunction } from "../../server/cli/release/deploy.ts";
import { ReleaseError } from "../../server/cli/release/errors.ts";
import { ensureStagingNotification, NOTIFICATION_ID } from "../../server/cli/release/notification.ts";
import { S3_INVOKE_STATEMENT_ID } from "../../server/cli/release/permission.ts";
import { rollbackFunction } from "../../server/cli/release/rollback.ts";
import { type Package, zipReproducibly } from "../../server/cli/release/zip.ts";
import { type Moto, startMoto, useDummyCredentials } from "../support/moto.ts";

// moto runs Lambda's control plane only (it cannot invoke without Docker), which is all
// `hoist lambda deploy` touches. Small synthetic packages stand in for the real bundle here;
// bundle.test.ts runs the real one.
const STAGING = "hoist-staging-test";
const fast = { pollMs: 20, timeoutMs: 10_000 };

let moto: Moto;
let clients: ReleaseClients;
let roleArn: string;

function configFor(extra: Record<string, string | undefined> = {}): Config {
  return loadConfig({
    HOIST_BACKEND: "aws",
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_REGION: "us-east-1",
    HOIST_STAGING_BUCKET: STAGING,
    HOIST_SITES_DOMAIN: "sites.example.com",
    HOIST_LAMBDA_ROLE_ARN: roleArn,
    ...extra,
  });
}

function packageOf(text: string): Promise<Package> {
  return zipReproducibly(new Map([["index.js", Buffer.from(`exports.handler = async () => ${JSON.stringify(text)};\n`)]]));
}

async function versions(functionName: string): Promise<string[]> {
  const out = await clients.lambda.send(new ListVersionsByFunctionCommand({ FunctionName: functionName }));
  return (out.Versions ?? []).map((v) => v.Version!).filter((v) => v !== "$LATEST");
}

beforeAll(async () => {
  useDummyCredentials();
  moto = await startMoto();
  clients = createReleaseClients(loadConfig({ AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: "us-east-1" }));
  const role = await clients.iam.send(
    new CreateRoleCommand({
      RoleName: "hoist-deployer-test",
      AssumeRolePolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
    }),
  );
  roleArn = role.Role!.Arn!;
  await clients.s3.send(new CreateBucketCommand({ Bucket: STAGING }));
});

afterAll(async () => {
  if (clients) destroyReleaseClients(clients);
  await moto?.stop();
});

describe("hoist lambda deploy against moto", () => {
  let first: Package;
  let second: Package;

  it("creates the function, publishes version 1, creates the alias and wires S3 to it", async () => {
    first = await packageOf("first");
    const report = await deployFunction(configFor(), clients, first, fast);

    expect(report).toMatchObject({ function: "created", code: "uploaded", version: "1", published: true, permission: "added", notification: "set" });
    expect(report.aliasArn).toMatch(/:function:hoist-deployer:live$/);
    const live = await clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "hoist-deployer", Qualifier: "live" }));
    expect(live).toMatchObject({ CodeSha256: first.codeSha256, Runtime: "nodejs22.x", Handler: "index.handler", MemorySize: 1024, Timeout: 60, Role: roleArn });
    expect(live.Environment?.Variables).toMatchObject({
      HOIST_BACKEND: "aws",
      NODE_ENV: "production",
      HOIST_STAGING_BUCKET: STAGING,
      HOIST_SITES_DOMAIN: "sites.example.com",
    });
  });

  it("reads back the staging bucket's notification and S3's grant on the alias", async () => {
    const notification = await clients.s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: STAGING }));
    const ours = notification.LambdaFunctionConfigurations?.find((c) => c.Id === NOTIFICATION_ID);
    expect(ours?.LambdaFunctionArn).toMatch(/:function:hoist-deployer:live$/);
    expect(ours?.Events).toEqual(["s3:ObjectCreated:*"]);
    const rules = Object.fromEntries((ours?.Filter?.Key?.FilterRules ?? []).map((r) => [r.Name!.toLowerCase(), r.Value]));
    expect(rules).toEqual({ prefix: "deploys/", suffix: ".tar.gz" });

    const policy = await clients.lambda.send(new GetPolicyCommand({ FunctionName: "hoist-deployer", Qualifier: "live" }));
    const statement = JSON.parse(policy.Policy!).Statement.find((s: { Sid: string }) => s.Sid === S3_INVOKE_STATEMENT_ID);
    expect(statement.Principal).toEqual({ Service: "s3.amazonaws.com" });
    expect(JSON.stringify(statement.Condition)).toContain(`arn:aws:s3:::${STAGING}`);
  });

  it("re-deploys an unchanged package without uploading or publishing", async () => {
    const send = vi.spyOn(clients.lambda, "send");
    const report = await deployFunction(configFor(), clients, await packageOf("first"), fast);
    const uploads = send.mock.calls.filter(([command]) => command instanceof UpdateFunctionCodeCommand);
    send.mockRestore();

    expect(uploads).toHaveLength(0);
    expect(report).toMatchObject({
      function: "unchanged",
      code: "unchanged",
      published: false,
      version: "1",
      permission: "unchanged",
      notification: "unchanged",
    });
    expect(await versions("hoist-deployer")).toEqual(["1"]);
  });

  it("updates code and configuration, publishes version 2 and moves the alias", async () => {
    second = await packageOf("second");
    const report = await deployFunction(configFor({ HOIST_LAMBDA_MEMORY: "2048", HOIST_MAX_FILES: "1234" }), clients, second, fast);

    expect(report).toMatchObject({
      function: "updated",
      code: "uploaded",
      previousCodeSha256: first.codeSha256,
      version: "2",
      previousVersion: "1",
      published: true,
    });
    expect(report.configChanges).toEqual(["MemorySize 1024 → 2048", "Environment ~HOIST_MAX_FILES"]);
    const alias = await clients.lambda.send(new GetAliasCommand({ FunctionName: "hoist-deployer", Name: "live" }));
    expect(alias.FunctionVersion).toBe("2");
    const live = await clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "hoist-deployer", Qualifier: "live" }));
    expect(live).toMatchObject({ CodeSha256: second.codeSha256, MemorySize: 2048 });
  });

  it("rolls the alias back to the previous version, then refuses to go further back", async () => {
    const config = configFor({ HOIST_LAMBDA_MEMORY: "2048", HOIST_MAX_FILES: "1234" });
    const report = await rollbackFunction(config, clients.lambda);

    expect(report).toMatchObject({ from: "2", to: "1", codeSha256: first.codeSha256 });
    const alias = await clients.lambda.send(new GetAliasCommand({ FunctionName: "hoist-deployer", Name: "live" }));
    expect(alias.FunctionVersion).toBe("1");
    await expect(rollbackFunction(config, clients.lambda)).rejects.toMatchObject({ code: "release.no_previous_version" });
  });

  it("re-deploying after a rollback points the alias at the release again without an upload", async () => {
    const report = await deployFunction(configFor({ HOIST_LAMBDA_MEMORY: "2048", HOIST_MAX_FILES: "1234" }), clients, second, fast);

    expect(report).toMatchObject({ code: "unchanged", previousVersion: "1" });
    const live = await clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "hoist-deployer", Qualifier: "live" }));
    expect(live.CodeSha256).toBe(second.codeSha256);
  });
});

describe("the staging bucket's notification", () => {
  it("keeps other entries and accepts the template's entry for our alias (S3-generated id) as ours", async () => {
    const bucket = "hoist-staging-shared";
    const aliasArn = "arn:aws:lambda:us-east-1:123456789012:function:hoist-deployer:live";
    const filter = {
      Key: {
        FilterRules: [
          { Name: "prefix" as const, Value: "deploys/" },
          { Name: "suffix" as const, Value: ".tar.gz" },
        ],
      },
    };
    const other = {
      Id: "thumbnails",
      LambdaFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:thumbs",
      Events: ["s3:ObjectCreated:*" as const],
      Filter: { Key: { FilterRules: [{ Name: "prefix" as const, Value: "images/" }] } },
    };
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await clients.s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: {
          LambdaFunctionConfigurations: [{ Id: "NjE2ZjM3-generated", LambdaFunctionArn: aliasArn, Events: ["s3:ObjectCreated:*"], Filter: filter }, other],
        },
      }),
    );

    expect(await ensureStagingNotification(clients.s3, bucket, aliasArn)).toBe("unchanged");
    expect(await ensureStagingNotification(clients.s3, bucket, aliasArn.replace(":live", ":canary"))).toBe("updated");

    const after = await clients.s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
    expect(after.LambdaFunctionConfigurations?.map((c) => c.Id).sort()).toEqual([NOTIFICATION_ID, "thumbnails"]);
  });
});

describe("errors that name the missing resource and the fix", () => {
  it("a role that does not exist", async () => {
    const config = configFor({ HOIST_LAMBDA_FUNCTION_NAME: "hoist-no-role", HOIST_LAMBDA_ROLE_ARN: "arn:aws:iam::123456789012:role/hoist-missing" });
    const error = await deployFunction(config, clients, await packageOf("x"), fast).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(ReleaseError);
    expect(error).toMatchObject({ code: "release.role_missing" });
    expect((error as Error).message).toContain("arn:aws:iam::123456789012:role/hoist-missing does not exist");
    expect((error as Error).message).toContain("infra/template.yaml");
    expect((error as Error).message).toContain("HOIST_LAMBDA_ROLE_ARN");
  });

  it("no role configured for a function that does not exist yet", async () => {
    const config = configFor({ HOIST_LAMBDA_FUNCTION_NAME: "hoist-unset-role", HOIST_LAMBDA_ROLE_ARN: undefined });
    const error = await deployFunction(config, clients, await packageOf("x"), fast).catch((err: unknown) => err);

    expect(error).toMatchObject({ code: "release.role_not_set" });
    expect((error as Error).message).toContain("DeployerRoleArn");
  });

  it("a staging bucket that does not exist", async () => {
    const config = configFor({ HOIST_LAMBDA_FUNCTION_NAME: "hoist-no-bucket", HOIST_STAGING_BUCKET: "hoist-staging-missing" });
    const error = await deployFunction(config, clients, await packageOf("x"), fast).catch((err: unknown) => err);

    expect(error).toMatchObject({ code: "release.staging_bucket_missing" });
    expect((error as Error).message).toContain("HOIST_STAGING_BUCKET");
  });
});
