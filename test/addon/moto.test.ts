import { symlink } from "node:fs/promises";
import { join } from "node:path";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configToEnv } from "../../core/config.ts";
import { createLogger } from "../../core/log.ts";
import type { RunResult } from "../../lambda/deploy/run-deploy.ts";
import { aceSettingsTable } from "../../server/addon/ace.ts";
import { LocalLambda } from "../../server/local/lambda-runner.ts";
import { s3Event } from "../../server/local/staging-trigger.ts";
import { type Moto, startMoto, useDummyCredentials } from "../support/moto.ts";
import { api, openPanel, type Repo, type Stack, siteHost, siteShows, startStack } from "./harness.ts";

/**
 * The add-on's push flow with Hoist on its AWS backend (HOIST_BACKEND=aws) pointed at moto_server:
 * buckets, tables, ACE's DynamoDB store, deploy records (GSIs, conditional writes) and the site
 * all live in moto; Bitbucket is the sandbox; the push is a real `git push`.
 *
 * In AWS mode Hoist does not run the local Lambda runner: the staging bucket's S3 → Lambda
 * notification starts the deployer. moto cannot deliver S3 notifications nor run Lambdas, so
 * `StagingNotifications` below stands in for that notification: it polls the staging bucket
 * (ListObjectsV2 under `deploys/`) and invokes the real handler, in a LocalLambda worker, with the
 * event real S3 would send (`s3Event(…, { encodeKey: true })`: keys URL-encoded as S3 encodes them).
 */

const WORKSPACE = "acme";
const REPO = "site";
const INDEX = "<!doctype html><h1>Hello from moto</h1>\n";
const CSS = "body { color: rebeccapurple; }\n";

type Invocation = { key: string; results: RunResult[] };

class StagingNotifications {
  private readonly seen = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  readonly invocations: Invocation[] = [];
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private stopped = false;

  constructor(
    private readonly stack: Stack,
    private readonly lambda: LocalLambda,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), 100);
  }

  /** Invokes the deployer as S3 would for an object created in the staging bucket (a redelivery when sent twice). */
  async notify(key: string, size: number): Promise<RunResult[]> {
    const event = s3Event({ eventName: "ObjectCreated:Put", bucket: this.stack.hoist.config.buckets.staging, key, size }, { encodeKey: true });
    const outcome = await this.lambda.invokeAsync(event);
    if (!outcome.ok) throw new Error(`deployer failed for ${key}: ${outcome.error.name}: ${outcome.error.message}`);
    const results = (outcome.result as { results: RunResult[] }).results;
    this.invocations.push({ key, results });
    return results;
  }

  /** Resolves when every invocation started so far has ended. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.idle();
  }

  private async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      const { s3 } = this.stack.hoist.backend.clients;
      let token: string | undefined;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: this.stack.hoist.config.buckets.staging, Prefix: "deploys/", ContinuationToken: token }));
        for (const object of page.Contents ?? []) {
          if (!object.Key?.endsWith(".tar.gz") || this.seen.has(object.Key)) continue;
          this.seen.add(object.Key);
          const run = this.notify(object.Key, object.Size ?? 0).then(() => undefined);
          run.catch(() => undefined);
          this.running.add(run);
          void run.finally(() => this.running.delete(run));
        }
        token = page.NextContinuationToken;
      } while (token);
    } catch {
      // moto busy or shutting down: the next tick lists again
    } finally {
      this.polling = false;
    }
  }
}

describe("push to deploy on the AWS backend (moto_server)", () => {
  let moto: Moto;
  let stack: Stack;
  let lambda: LocalLambda;
  let notifications: StagingNotifications;
  let inst: { clientKey: string; sharedSecret: string };
  let repo: Repo;
  let firstCommit: string;
  const host = () => siteHost(stack, `${REPO}--${WORKSPACE}`);

  const history = async () => {
    const { token } = await openPanel(stack, inst, WORKSPACE, REPO);
    const res = await api(stack, token, `/api/sites/${WORKSPACE}/${REPO}/deploys`);
    expect(res.status).toBe(200);
    return res.body.deploys as { deployId: string; commit: string; status: string; reason?: string; reasonMessage?: string; live: boolean }[];
  };
  /** Every push, deploy and (stand-in) notification started so far has ended. */
  const settle = async () => {
    await stack.settle();
    await notifications.idle();
  };

  beforeAll(async () => {
    useDummyCredentials();
    moto = await startMoto();
    stack = await startStack({ env: { HOIST_BACKEND: "aws", AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: "us-east-1" } });
    expect(stack.hoist.config.backend).toBe("aws");
    expect(stack.hoist.trigger).toBeUndefined(); // AWS mode: no local runner, the notification starts the deployer
    const env = { ...configToEnv(stack.hoist.config), AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing", AWS_REGION: "us-east-1" };
    lambda = new LocalLambda({ env, timeoutSeconds: 20, logger: createLogger({ level: "silent", name: "moto-lambda" }), retryDelaysMs: [200, 400] });
    lambda.prewarm();
    notifications = new StagingNotifications(stack, lambda);
    notifications.start();
    // First install: unsigned, trusted after the token exchange with the sandbox succeeds.
    inst = await stack.install(WORKSPACE);
    repo = await stack.repo(WORKSPACE, REPO);
  });

  afterAll(async () => {
    await notifications?.stop();
    await lambda?.close();
    await stack?.close();
    await moto?.stop();
  });

  it("keeps the installation in ACE's DynamoDB store, in moto", async () => {
    expect(stack.hoist.backend.embedded).toBeUndefined();
    expect(stack.sandbox.installations().map((i) => i.clientKey)).toContain(inst.clientKey);
    expect(await stack.hoist.hoist.installations.getActive(inst.clientKey)).toBeDefined();
    // Read it back from moto itself, not through Hoist.
    const dynamo = new DynamoDBClient({ region: "us-east-1", endpoint: moto.endpoint });
    try {
      const { Item } = await dynamo.send(
        new GetItemCommand({ TableName: aceSettingsTable(stack.hoist.config), Key: { clientKey: { S: inst.clientKey }, key: { S: "clientInfo" } } }),
      );
      expect(JSON.parse(Item?.val?.S ?? "{}")).toMatchObject({ clientKey: inst.clientKey, sharedSecret: inst.sharedSecret });
    } finally {
      dynamo.destroy();
    }
  });

  it("a git push goes live: record succeeded, the pushed bytes served, SUCCESSFUL on the commit, the deploy in the panel", async () => {
    firstCommit = await repo.pushFiles({ "index.html": INDEX, "css/site.css": CSS }, "first site");
    await settle();

    const deploys = await history();
    expect(deploys).toHaveLength(1);
    expect(deploys[0]).toMatchObject({ commit: firstCommit, status: "succeeded", branch: "main", author: "Ada Lovelace", message: "first site", live: true });
    // The stand-in really delivered the staged archive to the real handler, which finished it.
    expect(notifications.invocations).toHaveLength(1);
    expect(notifications.invocations[0]!.key).toBe(`deploys/${WORKSPACE}/${REPO}/${deploys[0]!.deployId}.tar.gz`);
    expect(notifications.invocations[0]!.results[0]).toMatchObject({ outcome: "finished", record: { status: "succeeded" } });

    expect(await siteShows(stack, host(), "Hello from moto")).toBe(true);
    expect(await stack.site(host())).toEqual({ status: 200, body: INDEX });
    expect(await stack.site(host(), "/css/site.css")).toEqual({ status: 200, body: CSS });
    // The bytes the gateway serves are stored in moto's sites bucket.
    const s3 = new S3Client({ region: "us-east-1", endpoint: moto.endpoint, forcePathStyle: true });
    try {
      const stored = await s3.send(new ListObjectsV2Command({ Bucket: stack.hoist.config.buckets.sites }));
      const bodies = await Promise.all(
        (stored.Contents ?? []).map(async (o) =>
          (await s3.send(new GetObjectCommand({ Bucket: stack.hoist.config.buckets.sites, Key: o.Key }))).Body!.transformToString(),
        ),
      );
      expect(bodies).toContain(CSS);
    } finally {
      s3.destroy();
    }

    const statuses = await stack.sandbox.statuses(WORKSPACE, REPO, firstCommit);
    expect(statuses.map((s) => s.state)).toEqual(["SUCCESSFUL"]);
    expect(statuses[0]!.url).toContain(`${REPO}--${WORKSPACE}.`);
  });

  it("deploys a webhook delivered twice (same X-Request-UUID) once, and ignores a redelivered S3 notification", async () => {
    stack.sandbox.faults = { webhooks: { duplicate: true } };
    stack.sandbox.clearDeliveries();
    const commit = await repo.pushFiles({ "index.html": "<p>delivered twice</p>" }, "delivered twice");
    await settle();
    stack.sandbox.faults = {};
    expect(stack.sandbox.deliveries().filter((d) => d.outcome === "delivered").length).toBeGreaterThan(1);
    const deploys = (await history()).filter((d) => d.commit === commit);
    expect(deploys).toHaveLength(1);
    expect(deploys[0]).toMatchObject({ status: "succeeded", live: true });
    expect(await siteShows(stack, host(), "delivered twice")).toBe(true);

    // S3 delivers notifications at least once: the same event again must not deploy again.
    const key = `deploys/${WORKSPACE}/${REPO}/${deploys[0]!.deployId}.tar.gz`;
    const before = await stack.hoist.hoist.records.get(`${WORKSPACE}/${REPO}`, deploys[0]!.deployId);
    const again = await notifications.notify(key, 1);
    expect(again[0]).toMatchObject({ outcome: "skipped" });
    const after = await stack.hoist.hoist.records.get(`${WORKSPACE}/${REPO}`, deploys[0]!.deployId);
    expect(after).toEqual(before);
    expect((await history()).filter((d) => d.commit === commit)).toHaveLength(1);
  });

  it("fails a push with a committed symlink by name, and the site stays as it was", async () => {
    const served = await stack.site(host());
    await symlink("/etc/passwd", join(repo.dir, "passwd.txt"));
    const commit = await repo.pushFiles({ "index.html": "<p>pwned</p>" }, "a symlink");
    await settle();

    const deploy = (await history()).find((d) => d.commit === commit);
    expect(deploy).toMatchObject({ status: "failed", reason: "archive.symlink", live: false });
    expect(deploy!.reasonMessage).toContain("passwd.txt");
    const statuses = await stack.sandbox.statuses(WORKSPACE, REPO, commit);
    expect(statuses.map((s) => s.state)).toEqual(["FAILED"]);
    expect(statuses[0]!.description).toContain("archive.symlink");
    // The gateway caches live pointers for about a second: look after that.
    await new Promise((r) => setTimeout(r, 1200));
    expect(await stack.site(host())).toEqual(served);
    expect((await stack.site(host(), "/passwd.txt")).status).toBe(404);
    expect((await history()).find((d) => d.live)?.status).toBe("succeeded");
  });
});
