import { tool } from "../support/tools.ts";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { CreateTableCommand, type CreateTableCommandInput, DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { S3Client } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../core/config.ts";
import { ensureStorage } from "../../core/setup.ts";
import { HANDLER, RUNTIME } from "../../server/cli/release/bundle.ts";
import { functionEnvironment } from "../../server/cli/release/function-config.ts";
import { NOTIFICATION_EVENT, NOTIFICATION_FILTER } from "../../server/cli/release/notification.ts";
import { IMMUTABLE, REVALIDATE } from "../../lambda/deploy/cache-control.ts";
import { danglingReferences, parseTemplate, type Template } from "./cfn-yaml.ts";

const run = promisify(execFile);
const TEMPLATE_PATH = resolve(import.meta.dirname, "../../infra/template.yaml");
const template = parseTemplate(readFileSync(TEMPLATE_PATH, "utf8"));
// biome-ignore lint/suspicious/noExplicitAny: template JSON is read loosely and checked by the assertions
const props = (id: string) => template.Resources[id]!.Properties as Record<string, any>;
/** CloudFormation's `${Name}` syntax, kept out of JS template literals. */
const sub = (name: string) => `$${"{"}${name}}`;
const defaults = loadConfig({});

/** The tables core/setup.ts creates, captured from a stand-in DynamoDB client. */
async function tablesFromSetup(): Promise<CreateTableCommandInput[]> {
  const created: CreateTableCommandInput[] = [];
  const dynamo = {
    send: async (command: unknown) => {
      if (command instanceof CreateTableCommand) {
        created.push(command.input);
        return {};
      }
      if (command instanceof DescribeTableCommand && created.some((t) => t.TableName === command.input.TableName)) return { Table: { TableStatus: "ACTIVE" } };
      throw Object.assign(new Error("not found"), { name: "ResourceNotFoundException" });
    },
  } as unknown as DynamoDBClient;
  const s3 = { send: async () => ({}) } as unknown as S3Client;
  await ensureStorage(defaults, { s3, dynamo });
  return created;
}

/** A template table's TableName with the parameters' defaults substituted. */
function tableName(id: string): string {
  const name = props(id).TableName as { "Fn::Sub": string };
  return name["Fn::Sub"].replace(sub("TablePrefix"), String(template.Parameters!.TablePrefix!.Default));
}

const sortBy = <T>(items: T[] | undefined, key: (t: T) => string) => [...(items ?? [])].sort((a, b) => key(a).localeCompare(key(b)));

function actionsOf(statementHolder: Template["Resources"][string]): string[] {
  const policies = (statementHolder.Properties!.Policies as { PolicyDocument: { Statement: { Action: string | string[] }[] } }[]) ?? [];
  return policies.flatMap((p) => p.PolicyDocument.Statement.flatMap((s) => [s.Action].flat()));
}

describe("infra/template.yaml", () => {
  it("has every resource the code and the docs expect, with the expected types", () => {
    const expected: Record<string, string> = {
      StagingBucket: "AWS::S3::Bucket",
      SitesBucket: "AWS::S3::Bucket",
      DeploysTable: "AWS::DynamoDB::Table",
      SitesTable: "AWS::DynamoDB::Table",
      DeployerRole: "AWS::IAM::Role",
      DeployerLogGroup: "AWS::Logs::LogGroup",
      DeployerFunction: "AWS::Lambda::Function",
      DeployerVersion: "AWS::Lambda::Version",
      DeployerAlias: "AWS::Lambda::Alias",
      StagingInvokePermission: "AWS::Lambda::Permission",
      AddonServerPolicy: "AWS::IAM::ManagedPolicy",
      GarbageCollectionSchedule: "AWS::Events::Rule",
      DashboardTable: "AWS::DynamoDB::Table",
      GarbageCollectionInvokePermission: "AWS::Lambda::Permission",
    };
    for (const [id, type] of Object.entries(expected)) expect(template.Resources[id]?.Type, id).toBe(type);
    for (const output of [
      "StagingBucketName",
      "SitesBucketName",
      "TablePrefix",
      "DeployerFunctionName",
      "DeployerRoleArn",
      "DeployerAliasArn",
      "AddonServerPolicyArn",
      "Region",
    ]) {
      expect(template.Outputs?.[output], output).toBeDefined();
    }
  });

  it("every Ref, GetAtt, Sub variable and DependsOn names a parameter, resource or pseudo parameter", () => {
    expect(danglingReferences(template)).toEqual([]);
  });

  it("the reference check itself catches dangling names (hostile fixture)", () => {
    const broken = parseTemplate(
      `Resources:\n  A:\n    Type: X\n    DependsOn: Ghost\n    Properties:\n      B: !Sub "${sub("Nope")}-${sub("AWS::Region")}"\n      C: !GetAtt Gone.Arn\n      D: !Join [",", [!Ref Missing]]\n`,
    );
    expect(
      danglingReferences(broken)
        .map((r) => r.name)
        .sort(),
    ).toEqual(["Ghost", "Gone", "Missing", "Nope"]);
  });

  it("tables have exactly the keys and index core/setup.ts creates, on demand with point-in-time recovery", async () => {
    const fromSetup = await tablesFromSetup();
    expect(fromSetup.map((t) => t.TableName)).toEqual([defaults.tables.deploys, defaults.tables.sites]);
    for (const [id, expected] of [
      ["DeploysTable", fromSetup[0]!],
      ["SitesTable", fromSetup[1]!],
    ] as const) {
      const table = props(id);
      expect(tableName(id)).toBe(expected.TableName);
      expect(table.BillingMode).toBe(expected.BillingMode);
      expect(table.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(sortBy(table.AttributeDefinitions, (a: { AttributeName: string }) => a.AttributeName)).toEqual(
        sortBy(expected.AttributeDefinitions, (a) => a.AttributeName!),
      );
      expect(table.KeySchema).toEqual(expected.KeySchema);
      expect(table.GlobalSecondaryIndexes ?? []).toEqual(expected.GlobalSecondaryIndexes ?? []);
    }
  });

  it("the function matches what hoist lambda deploy ships: runtime, handler, alias, environment names", () => {
    const fn = props("DeployerFunction");
    expect(fn.Runtime).toBe(RUNTIME);
    expect(fn.Handler).toBe(HANDLER);
    expect(props("DeployerAlias").Name).toBe(defaults.lambda.alias);
    const cliEnvironment = Object.keys(functionEnvironment(defaults));
    expect(cliEnvironment).toEqual(expect.arrayContaining(Object.keys(fn.Environment.Variables)));
    expect(fn.Environment.Variables).toMatchObject({ HOIST_BACKEND: "aws", NODE_ENV: "production" });
  });

  it("the staging bucket notifies the alias for staged archives, only after S3 may invoke it", () => {
    const bucket = template.Resources.StagingBucket!;
    const [notification, ...more] = props("StagingBucket").NotificationConfiguration.LambdaConfigurations;
    expect(more).toEqual([]);
    expect(notification.Event).toBe(NOTIFICATION_EVENT);
    expect(notification.Function).toEqual({ Ref: "DeployerAlias" });
    expect(notification.Filter.S3Key.Rules).toEqual([
      { Name: "prefix", Value: NOTIFICATION_FILTER.prefix },
      { Name: "suffix", Value: NOTIFICATION_FILTER.suffix },
    ]);
    expect([bucket.DependsOn].flat()).toContain("StagingInvokePermission");

    const permission = props("StagingInvokePermission");
    expect(permission).toMatchObject({
      FunctionName: { Ref: "DeployerAlias" },
      Principal: "s3.amazonaws.com",
      Action: "lambda:InvokeFunction",
      SourceAccount: { Ref: "AWS::AccountId" },
    });
    expect(permission.SourceArn["Fn::Sub"]).toBe(`arn:${sub("AWS::Partition")}:s3:::${props("StagingBucket").BucketName["Fn::Sub"]}`);
  });

  it("staged archives expire; the sites bucket is private", () => {
    const rules = props("StagingBucket").LifecycleConfiguration.Rules;
    expect(rules).toContainEqual(expect.objectContaining({ Status: "Enabled", Prefix: "deploys/", ExpirationInDays: { Ref: "StagingRetentionDays" } }));
    expect(props("SitesBucket").PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  it("the deployer role grants only the calls the deployer makes, and nothing with a wildcard action", () => {
    const actions = actionsOf(template.Resources.DeployerRole!);
    const allowed = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "s3:GetObject",
      "s3:PutObject",
      "s3:DeleteObject",
      "s3:AbortMultipartUpload",
      "s3:ListBucket",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:Query",
      // garbage collection (core/gc.ts), run on the schedule
      "dynamodb:Scan",
      "dynamodb:DeleteItem",
      // a deploy handed on to a new run at the function's timeout (lambda/deploy/continuation.ts)
      "lambda:InvokeFunction",
    ];
    expect(actions.filter((a) => !allowed.includes(a))).toEqual([]);
    const statements = props("DeployerRole").Policies[0].PolicyDocument.Statement as { Resource: unknown }[];
    expect(JSON.stringify(statements.map((s) => s.Resource))).not.toMatch(/"\*"|:::\*/);
    const dynamo = (statements as { Action: unknown; Resource: unknown }[]).find((s) => [s.Action].flat().includes("dynamodb:Query"))!;
    expect(dynamo.Resource).toContainEqual({ "Fn::Sub": `${sub("SitesTable.Arn")}/index/bySite` });
  });

  it("the deployer may invoke only itself (its alias included), and touch checkpoints only under checkpoints/", () => {
    const statements = props("DeployerRole").Policies[0].PolicyDocument.Statement as { Action: unknown; Resource: unknown }[];
    const invoke = statements.filter((s) => [s.Action].flat().includes("lambda:InvokeFunction"));
    expect(invoke).toHaveLength(1);
    const functionArn = `arn:${sub("AWS::Partition")}:lambda:${sub("AWS::Region")}:${sub("AWS::AccountId")}:function:${sub("FunctionName")}`;
    expect(invoke[0]!.Resource).toEqual([{ "Fn::Sub": functionArn }, { "Fn::Sub": `${functionArn}:*` }]);
    const staging = `arn:${sub("AWS::Partition")}:s3:::${props("StagingBucket").BucketName["Fn::Sub"]}`;
    const checkpoints = statements.find((s) => JSON.stringify(s.Resource).includes("/checkpoints/"));
    expect(checkpoints).toMatchObject({ Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource: { "Fn::Sub": `${staging}/checkpoints/*` } });
    expect(props("StagingBucket").LifecycleConfiguration.Rules).toContainEqual(expect.objectContaining({ Status: "Enabled", Prefix: "checkpoints/", ExpirationInDays: { Ref: "StagingRetentionDays" } }));
    expect(props("DeployerFunction").Environment.Variables.HOIST_MAX_CONTINUATIONS).toEqual({ Ref: "MaxContinuations" });
  });

  describe("the CloudFront distribution in front of the hosting gateway", () => {
    const CDN_PARAMETERS = ["CdnAlternateDomain", "CdnCertificateArn", "CdnOriginDomain"];
    const CDN_RESOURCES: Record<string, string> = {
      SitesCachePolicy: "AWS::CloudFront::CachePolicy",
      SitesOriginRequestPolicy: "AWS::CloudFront::OriginRequestPolicy",
      SitesDistribution: "AWS::CloudFront::Distribution",
    };
    const distribution = () => props("SitesDistribution").DistributionConfig;
    const maxAge = (cacheControl: string) => Number(/max-age=(\d+)/.exec(cacheControl)?.[1]);

    it("exists only when its three parameters are set, so stacks created without them update unchanged", () => {
      for (const name of CDN_PARAMETERS) expect(template.Parameters?.[name]?.Default, name).toBe("");
      const notEmpty = (name: string) => ({ "Fn::Not": [{ "Fn::Equals": [{ Ref: name }, ""] }] });
      expect(template.Conditions?.HasCdn).toEqual({ "Fn::And": CDN_PARAMETERS.map(notEmpty) });
      for (const [id, type] of Object.entries(CDN_RESOURCES)) {
        expect(template.Resources[id]?.Type, id).toBe(type);
        expect(template.Resources[id]?.Condition, id).toBe("HasCdn");
      }
      // Nothing that always exists may refer to what exists only with the CDN.
      const unconditional = { ...template, Resources: Object.fromEntries(Object.entries(template.Resources).filter(([, r]) => !r.Condition)) };
      unconditional.Outputs = Object.fromEntries(Object.entries(template.Outputs ?? {}).filter(([, o]) => !o.Condition));
      expect(danglingReferences(unconditional).filter((r) => r.name in CDN_RESOURCES)).toEqual([]);
      expect(template.Outputs?.CdnDomainName).toMatchObject({ Condition: "HasCdn", Value: { "Fn::GetAtt": ["SitesDistribution", "DomainName"] } });
    });

    it("takes its aliases and certificate from the parameters; the certificate must be in us-east-1", () => {
      const config = distribution();
      expect(config.Aliases).toEqual([{ Ref: "CdnAlternateDomain" }]);
      expect(config.ViewerCertificate).toMatchObject({ AcmCertificateArn: { Ref: "CdnCertificateArn" }, SslSupportMethod: "sni-only" });
      const arn = new RegExp(template.Parameters!.CdnCertificateArn!.AllowedPattern!);
      expect(arn.test("arn:aws:acm:us-east-1:123456789012:certificate/1f2e3d4c-0000-4a5b-9c8d-123456789abc")).toBe(true);
      expect(arn.test("arn:aws:acm:eu-west-1:123456789012:certificate/1f2e3d4c-0000-4a5b-9c8d-123456789abc")).toBe(false);
      const alias = new RegExp(template.Parameters!.CdnAlternateDomain!.AllowedPattern!);
      expect(alias.test("*.sites.example.com")).toBe(true);
      expect(alias.test("sites.example.com")).toBe(false);
    });

    it("keys the cache on Host and the normalised Accept-Encoding, never on cookies", () => {
      const key = props("SitesCachePolicy").CachePolicyConfig.ParametersInCacheKeyAndForwardedToOrigin;
      expect(key.HeadersConfig).toEqual({ HeaderBehavior: "whitelist", Headers: ["Host"] });
      expect(key.EnableAcceptEncodingGzip).toBe(true);
      expect(key.EnableAcceptEncodingBrotli).toBe(true);
      expect(key.CookiesConfig).toEqual({ CookieBehavior: "none" });
      // The gateway's redirects carry the query string over.
      expect(key.QueryStringsConfig).toEqual({ QueryStringBehavior: "all" });
    });

    it("honours the gateway's Cache-Control: HTML revalidates, fingerprinted assets stay a year, no header = not cached", () => {
      const policy = props("SitesCachePolicy").CachePolicyConfig;
      expect(policy.MinTTL).toBe(0);
      expect(policy.DefaultTTL).toBe(0);
      expect(maxAge(REVALIDATE)).toBe(0);
      expect(policy.MaxTTL).toBe(maxAge(IMMUTABLE));
    });

    it("forwards the visitor's Host to the gateway, redirects to HTTPS, serves HTTP/2 and HTTP/3, compresses", () => {
      const orp = props("SitesOriginRequestPolicy").OriginRequestPolicyConfig;
      expect(orp.HeadersConfig).toEqual({ HeaderBehavior: "whitelist", Headers: ["Host"] });
      // Forwarded cookies would stop CloudFront answering conditional requests.
      expect(orp.CookiesConfig).toEqual({ CookieBehavior: "none" });
      const config = distribution();
      const [origin, ...others] = config.Origins;
      expect(others).toEqual([]);
      expect(origin.DomainName).toEqual({ Ref: "CdnOriginDomain" });
      expect(config.HttpVersion).toBe("http2and3");
      expect(config.DefaultCacheBehavior).toMatchObject({
        TargetOriginId: origin.Id,
        ViewerProtocolPolicy: "redirect-to-https",
        Compress: true,
        CachePolicyId: { Ref: "SitesCachePolicy" },
        OriginRequestPolicyId: { Ref: "SitesOriginRequestPolicy" },
        AllowedMethods: ["GET", "HEAD"],
      });
    });
  });

  it("passes cfn-lint (CloudFormation's own schema and rules, incl. circular dependencies)", async () => {
    await expect(run(tool("cfn-lint"), [TEMPLATE_PATH])).resolves.toBeDefined();
  });
});
