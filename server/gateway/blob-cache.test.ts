import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../../core/config.ts";
import { createLogger } from "../../core/log.ts";
import { requestAsHost, type Reply } from "../../test/support/http.ts";
import { waitFor } from "../../test/addon/harness.ts";
import { runServe, type RunningServe } from "../cli/serve.ts";
import { Sites } from "../../core/sites.ts";
import { BlobCache } from "./blob-cache.ts";
import { createGateway } from "./router.ts";
import { type Content, sitePublisher, type SitePublisher } from "./test-sites.ts";

/**
 * The gateway's in-memory blob cache, on the real embedded backend: the same site served by a
 * gateway without a cache (`hoist serve` with HOIST_GATEWAY_CACHE_BYTES=0) and by one with a
 * small cache we can watch. Whatever a visitor asks, both answer the same bytes and headers; the
 * cache stays within its budget, keeps no large blob, reads a blob from S3 once however many
 * visitors miss it together, and never hides a new deploy or a rollback.
 */

const SITES_DOMAIN = "sites.test";
const BUDGET = 120_000;
const MAX_FILE = 40_000;
let dataDir: string;
let serve: RunningServe;
let config: Config;
let putSite: SitePublisher;
let cache: BlobCache;
let cached: Server;

const text = (s: string): Content => ({ body: Buffer.from(s), type: "text/html; charset=utf-8", gzip: true });
const css = Buffer.from(Array.from({ length: 2_000 }, (_, i) => `.rule-${i} { color: #${(i * 4099).toString(16).padStart(6, "0").slice(0, 6)} }\n`).join(""));
const png = randomBytes(30_000);
const big = randomBytes(90_000);
const site = { workspace: "acme", repo: "cached" };
let host: string;
let v1ManifestKey: string;

const uncachedGet = (path: string, headers: Record<string, string> = {}, method = "GET") => requestAsHost({ port: new URL(serve.url).port, host, path, method, headers });
const cachedGet = (path: string, headers: Record<string, string> = {}, method = "GET", on = host) =>
  requestAsHost({ port: (cached.address() as AddressInfo).port, host: on, path, method, headers });

/** What a visitor can observe, minus the per-request id and the clock. */
function visible(reply: Reply) {
  const { "x-request-id": _id, date: _date, connection: _c, "keep-alive": _k, ...headers } = reply.headers;
  return { status: reply.status, headers, body: reply.body.toString("base64") };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "hoist-blob-cache-"));
  config = loadConfig({ PORT: "0", HOIST_DATA_DIR: dataDir, HOIST_SITES_DOMAIN: SITES_DOMAIN, HOIST_BACKEND: "embedded", HOIST_LOG_LEVEL: "silent", HOIST_GATEWAY_CACHE_BYTES: "0" });
  serve = await runServe(config, createLogger({ level: "silent" }));
  config = serve.backend.config;
  putSite = sitePublisher(serve.backend.clients, config);
  const v1 = await putSite(site, "01J00000000000000000000001", {
    "index.html": text("<h1>Cached home v1</h1>"),
    "css/site.css": { body: css, type: "text/css; charset=utf-8", gzip: true, br: true, cache: "public, max-age=31536000, immutable" },
    "img/photo.png": { body: png, type: "image/png" },
    "video/big.bin": { body: big, type: "application/octet-stream" },
    "404.html": text("<h1>Not here</h1>"),
  }, "404.html");
  host = `${v1.host}.${SITES_DOMAIN}`;
  v1ManifestKey = v1.manifestKey;
  cache = new BlobCache(serve.backend.clients.s3, config.buckets.sites, { budgetBytes: BUDGET, maxFileBytes: MAX_FILE });
  const app = express();
  app.use(createGateway({ config, clients: serve.backend.clients, logger: createLogger({ level: "silent" }), cache, options: { pointerTtlMs: 200 } }));
  cached = createServer(app);
  await new Promise<void>((resolve) => cached.listen(0, "127.0.0.1", resolve));
});

afterAll(async () => {
  await new Promise<void>((resolve) => (cached ? cached.close(() => resolve()) : resolve()));
  await serve?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("the gateway's blob cache", () => {
  it("answers exactly what the uncached gateway answers: brotli, gzip and identity, ranges, 304s, HEAD, the 404 page", async () => {
    const etagOf = async (path: string, headers: Record<string, string> = {}) => String((await uncachedGet(path, headers)).headers.etag);
    const cases: [string, Record<string, string>, string?][] = [
      ["/", {}],
      ["/", { "accept-encoding": "gzip, br" }],
      ["/css/site.css", { "accept-encoding": "gzip" }],
      ["/css/site.css", {}],
      ["/css/site.css", { "accept-encoding": "gzip, deflate, br, zstd" }],
      ["/css/site.css", { "accept-encoding": "br", "if-none-match": await etagOf("/css/site.css", { "accept-encoding": "br" }) }],
      ["/css/site.css", { "accept-encoding": "gzip", "if-none-match": await etagOf("/css/site.css", { "accept-encoding": "gzip" }) }],
      ["/img/photo.png", {}],
      ["/img/photo.png", { range: "bytes=100-1099" }],
      ["/img/photo.png", { range: "bytes=-500" }],
      ["/img/photo.png", { range: "bytes=999999-" }],
      ["/img/photo.png", { "if-none-match": await etagOf("/img/photo.png") }],
      ["/video/big.bin", { range: "bytes=0-9" }],
      ["/video/big.bin", {}],
      ["/nowhere", { "accept-encoding": "gzip" }],
      ["/nowhere", {}],
      ["/", {}, "HEAD"],
      ["/img/photo.png", {}, "HEAD"],
    ];
    // Twice through the cached gateway: the first fills the cache, the second is served from it.
    for (const round of ["miss", "hit"]) {
      for (const [path, headers, method] of cases) {
        const want = visible(await uncachedGet(path, headers, method));
        const got = visible(await cachedGet(path, headers, method));
        expect({ round, path, asked: headers, method, ...got }).toEqual({ round, path, asked: headers, method, ...want });
      }
    }
    expect(cache.bytes).toBeGreaterThan(0);
  });

  it("keeps no blob larger than its file limit: it streams, and is read from S3 each time", async () => {
    const before = { bytes: cache.bytes, reads: cache.reads };
    for (let i = 0; i < 3; i++) expect((await cachedGet("/video/big.bin")).body.equals(big)).toBe(true);
    expect(cache.bytes).toBeLessThanOrEqual(before.bytes);
    expect(cache.reads).toBe(before.reads);
  });

  it("decodes a gzip-stored file once for clients that refuse gzip, and keeps the decoded copy in the budget", async () => {
    const page = Buffer.from(Array.from({ length: 400 }, (_, i) => `<p>paragraph ${i}</p>\n`).join(""));
    await putSite({ workspace: "acme", repo: "plain" }, "01J00000000000000000000004", { "index.html": { body: page, type: "text/html; charset=utf-8", gzip: true } });
    const plainHost = `plain--acme.${SITES_DOMAIN}`;
    const before = { bytes: cache.bytes, reads: cache.reads };
    for (let i = 0; i < 3; i++) {
      const reply = await cachedGet("/", {}, "GET", plainHost);
      expect(reply.headers["content-encoding"]).toBeUndefined();
      expect(reply.body.equals(page)).toBe(true);
    }
    const zipped = await cachedGet("/", { "accept-encoding": "gzip" }, "GET", plainHost);
    expect(zipped.headers["content-encoding"]).toBe("gzip");
    expect(cache.reads).toBe(before.reads + 1);
    // Both the stored gzip bytes and the decoded page are held (the stored ones are smaller).
    expect(cache.bytes - before.bytes).toBeGreaterThan(page.length);
    expect(cache.bytes).toBeLessThanOrEqual(BUDGET);
  });

  it("reads a cold blob from S3 once, however many visitors miss it at the same moment", async () => {
    const cold = randomBytes(20_000);
    await putSite({ workspace: "acme", repo: "cold" }, "01J00000000000000000000002", { "index.html": { body: cold, type: "image/png" } });
    const coldHost = `cold--acme.${SITES_DOMAIN}`;
    await cachedGet("/missing-page", {}, "GET", coldHost); // warms the pointer and manifest, not the blob
    const reads = cache.reads;
    const replies = await Promise.all(Array.from({ length: 25 }, () => cachedGet("/", {}, "GET", coldHost)));
    expect(replies.every((r) => r.status === 200 && r.body.equals(cold))).toBe(true);
    expect(cache.reads - reads).toBe(1);
  });

  it("never holds more than its byte budget, however many blobs are asked for", async () => {
    const files: Record<string, Content> = {};
    const bodies = Array.from({ length: 12 }, () => randomBytes(30_000));
    bodies.forEach((body, i) => {
      files[`f${i}.bin`] = { body, type: "application/octet-stream" };
    });
    await putSite({ workspace: "acme", repo: "many" }, "01J00000000000000000000003", files);
    const manyHost = `many--acme.${SITES_DOMAIN}`;
    for (let i = 0; i < bodies.length; i++) {
      expect((await cachedGet(`/f${i}.bin`, {}, "GET", manyHost)).body.equals(bodies[i]!)).toBe(true);
      expect(cache.bytes).toBeLessThanOrEqual(BUDGET);
    }
    // 12 × 30 KB is three times the budget: the first ones were let go and are read again.
    const reads = cache.reads;
    expect((await cachedGet("/f0.bin", {}, "GET", manyHost)).body.equals(bodies[0]!)).toBe(true);
    expect(cache.reads).toBe(reads + 1);
  });

  it("shows a new deploy, then a rollback, within the pointer's lifetime although every old blob is cached", async () => {
    expect((await cachedGet("/")).body.toString()).toContain("Cached home v1");
    const v2 = await putSite(site, "01J00000000000000000000009", { "index.html": text("<h1>Cached home v2</h1>") });
    await waitFor(async () => (await cachedGet("/")).body.toString().includes("Cached home v2"), 5_000);
    // Roll back: the stage points at v1's manifest again; the cached v2 blob must not keep answering.
    const sites = new Sites(serve.backend.clients.db, config.tables.sites);
    expect(await sites.rollback({ host: v2.host, toDeployId: "01J00000000000000000000001", manifestKey: v1ManifestKey, expectedLiveDeployId: "01J00000000000000000000009" })).toBe(true);
    await waitFor(async () => (await cachedGet("/")).body.toString().includes("Cached home v1"), 5_000);
  });
});
