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
    ];
    expect(actions.filter((a) => !allowed.includes(a))).toEqual([]);
    const statements = props("DeployerRole").Policies[0].PolicyDocument.Statement as { Resource: unknown }[];
    expect(JSON.stringify(statements.map((s) => s.Resource))).not.toMatch(/"\*"|:::\*/);
    const dynamo = (statements as { Action: unknown; Resource: unknown }[]).find((s) => [s.Action].flat().includes("dynamodb:Query"))!;
    expect(dynamo.Resource).toContainEqual({ "Fn::Sub": `${sub("SitesTable.Arn")}/index/bySite` });
  });

  it("passes cfn-lint (CloudFormation's own schema and rules, incl. circular dependencies)", async () => {
    await expect(run(tool("cfn-lint"), [TEMPLATE_PATH])).resolves.toBeDefined();
  });
});
