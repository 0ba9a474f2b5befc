import { randomBytes } from "node:crypto";
import { monotonicFactory } from "ulid";
import { createClients } from "../../../core/aws.ts";
import { loadConfig } from "../../../core/config.ts";
import { type DeployStats, DeployRecords } from "../../../core/deploy-records.ts";
import { PRODUCTION, siteId, type SiteRef } from "../../../core/site.ts";
import { stagingKey } from "../../../core/staging.ts";

/**
 * Deploy history without pushes, for the panel's render benchmark: `count` deploy records of a
 * site written into a running Hoist's DynamoDB through DeployRecords, each taken through the
 * status machine (queued → running → final) like the deployer does. Mostly successes, with a
 * failure every 7th and a timeout every 11th so rows of every kind are rendered.
 */
export async function seedDeploys(dynamodbEndpoint: string, ref: SiteRef, count: number): Promise<void> {
  const config = loadConfig({ HOIST_BACKEND: "aws", AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint });
  const clients = createClients(config, { embedded: true });
  const records = new DeployRecords(clients.db, config.tables.deploys);
  const nextId = monotonicFactory();
  const now = Date.now();
  try {
    for (let i = 0; i < count; i++) {
      const queuedMs = now - (count - i) * 3_600_000;
      const deployId = nextId(queuedMs);
      const id = siteId(ref);
      await records.createQueued({
        siteId: id,
        deployId,
        stage: PRODUCTION,
        branch: "main",
        commit: randomBytes(20).toString("hex"),
        author: "Ada Lovelace",
        message: `Seeded change number ${i + 1}\n\nA longer body that the panel shows only in detail.`,
        trigger: "push",
        stagingKey: stagingKey(ref, deployId),
        queuedAt: new Date(queuedMs).toISOString(),
      });
      const startedMs = now - 2_000 - (i % 9) * 1_000;
      await records.claim(id, deployId, { runId: "seed", leaseMs: 60_000, now: startedMs });
      const startedAt = new Date(startedMs).toISOString();
      const stats = statsFor(i);
      if (i % 11 === 10) {
        const progress = { filesDone: 800 + i, bytesDone: 9_000_000, filesSeen: 1_200, bytesSeen: 12_000_000, archiveBytesRead: 7_000_000, archiveBytes: 20_000_000, elapsedMs: 58_000, limit: "function timeout 60 s (stopped at 58 s)" };
        await records.finish(id, deployId, "seed", { status: "timed_out", reason: "deploy.timed_out", reasonMessage: "Timed out after 58 s.", progress, stats, startedAt });
      } else if (i % 7 === 6) {
        await records.finish(id, deployId, "seed", { status: "failed", reason: "archive.symlink", reasonMessage: '"link.html" is a symbolic link.', stats, startedAt });
      } else {
        await records.finish(id, deployId, "seed", { status: "succeeded", stats, startedAt, manifestKey: `sites/${id}/manifests/${deployId}.json` });
      }
    }
  } finally {
    clients.dynamo.destroy();
  }
}

function statsFor(i: number): DeployStats {
  const files = 120 + i;
  return {
    archiveBytes: 1_500_000 + i * 10_000,
    originalBytes: 4_200_000 + i * 25_000,
    storedBytes: 1_900_000 + i * 11_000,
    uploadedBytes: 40_000 + i * 1_000,
    files,
    compressedFiles: 80,
    reusedBlobs: files - 3,
    uploadedBlobs: 3,
  };
}
