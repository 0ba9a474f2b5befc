import { describe, expect, it } from "vitest";
import { configToEnv, loadConfig } from "./config.ts";

describe("configToEnv", () => {
  it("hands every setting the deployer reads to a worker unchanged", () => {
    // Every value differs from its default, so a setting left out comes back as the default and fails.
    const config = loadConfig({
      HOIST_BACKEND: "embedded",
      HOIST_SITES_DOMAIN: "sites.example.test",
      HOIST_TABLE_PREFIX: "t-",
      HOIST_STAGING_BUCKET: "stage-b",
      HOIST_SITES_BUCKET: "sites-b",
      HOIST_MAX_ARCHIVE_BYTES: "1001",
      HOIST_MAX_TOTAL_BYTES: "1002",
      HOIST_MAX_FILE_BYTES: "1003",
      HOIST_MAX_FILES: "1004",
      HOIST_MAX_PATH_DEPTH: "7",
      HOIST_UPLOAD_CONCURRENCY: "3",
      HOIST_TIMEOUT_MARGIN_MS: "1234",
      HOIST_MAX_CONTINUATIONS: "4",
      HOIST_BROTLI_QUALITY: "0",
      HOIST_LOG_LEVEL: "warn",
      HOIST_RETENTION_DAYS: "9",
      HOIST_RETENTION_PER_STAGE: "8",
    });
    const inWorker = loadConfig(configToEnv(config));
    const deployerView = (c: typeof config) => ({
      sitesDomain: c.sitesDomain,
      tables: c.tables,
      buckets: c.buckets,
      limits: c.limits,
      uploadConcurrency: c.uploadConcurrency,
      timeoutMarginMs: c.timeoutMarginMs,
      maxContinuations: c.maxContinuations,
      brotliQuality: c.brotliQuality,
      log: c.log,
      retention: c.retention,
    });
    expect(deployerView(inWorker)).toEqual(deployerView(config));
  });
});
