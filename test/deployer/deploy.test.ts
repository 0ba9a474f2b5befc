import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configToEnv } from "../../core/config.ts";
import { EMBEDDED_CREDENTIALS } from "../../core/aws.ts";
import { readManifest } from "../../core/manifest.ts";
import type { SiteRef } from "../../core/site.ts";
import { IMMUTABLE, REVALIDATE } from "../../lambda/deploy/cache-control.ts";
import { SMALL_FILE_BYTES } from "../../lambda/deploy/store-archive.ts";
import { s3Event } from "../../server/local/staging-trigger.ts";
import {
  configWith,
  deploy,
  BROWSER_ACCEPT_ENCODING,
  fetchDecoded,
  fetchSite,
  lambdaClock,
  listKeys,
  liveStage,
  manifestExists,
  nextDeployId,
  openEmbeddedWorld,
  runStaged,
  servingDifferences,
  stage,
  urlPath,
  type World,
} from "./fixtures/harness.ts";
import { siteArchive } from "./fixtures/tar.ts";

/**
 * The deployer's happy paths as a site owner sees them: the real pipeline in this process on
 * the embedded backend, every file checked through the real gateway.
 */

let world: World;

beforeAll(async () => {
  world = await openEmbeddedWorld();
});

afterAll(async () => {
  await world?.close();
});

const text = (line: string, times: number) => Array.from({ length: times }, (_, i) => `${line} ${i}\n`).join("");
const wasm = Buffer.concat([Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]), Buffer.from(text("(func $f (result i32) i32.const 42)", 300))]);

/** `br`: a brotli copy is stored and sent to browsers (compressible, held in memory, and it saves at least MIN_BROTLI_SAVING_BYTES over gzip). */
type Expect = { type: string; cache: string; gzip: boolean; br?: boolean };

/** A realistic built site: what each file is, and how it must be stored and served. */
function realisticSite(version: string) {
  const files: Record<string, Buffer> = {
    "index.html": Buffer.from(`<!doctype html><title>Acme</title><link rel=stylesheet href=/css/site.css><h1>Acme ${version}</h1>${text("<p>welcome</p>", 50)}`),
    "about/index.html": Buffer.from(`<h1>About ${version}</h1>${text("<p>we make things</p>", 40)}`),
    "404.html": Buffer.from("<h1>Not found</h1>"),
    "css/site.css": Buffer.from(text(`.card { margin: 0 auto; } /* ${version} */`, 400)),
    "assets/index-DiwrgTda.css": Buffer.from(text("body{color:#222}", 200)),
    "js/app.3f9a1c2b.js": Buffer.from(text(`console.log("app ${version}");`, 300)),
    "js/module.mjs": Buffer.from(text("export const answer = 42;", 100)),
    "img/logo.svg": Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg">${text('<rect width="10" height="10"/>', 60)}</svg>`),
    "img/photo.png": Buffer.concat([Buffer.from("\x89PNG\r\n\x1a\n", "latin1"), randomBytes(80_000)]),
    "fonts/inter.woff2": Buffer.concat([Buffer.from("wOF2"), randomBytes(30_000)]),
    "data/feed.json": Buffer.from(JSON.stringify({ version, items: Array.from({ length: 3000 }, (_, i) => ({ id: i, title: `Item ${i}` })) })),
    "app.wasm": wasm,
    "site.webmanifest": Buffer.from(JSON.stringify({ name: "Acme", icons: Array.from({ length: 30 }, (_, i) => ({ src: `/img/icon-${i}.png`, sizes: `${i * 16}x${i * 16}`, type: "image/png" })) })),
  };
  const expected: Record<string, Expect> = {
    "index.html": { type: "text/html; charset=utf-8", cache: REVALIDATE, gzip: true },
    "about/index.html": { type: "text/html; charset=utf-8", cache: REVALIDATE, gzip: true },
    // Tiny: gzip would be larger than the page, so it is stored as it is.
    "404.html": { type: "text/html; charset=utf-8", cache: REVALIDATE, gzip: false },
    "css/site.css": { type: "text/css; charset=utf-8", cache: REVALIDATE, gzip: true },
    "assets/index-DiwrgTda.css": { type: "text/css; charset=utf-8", cache: IMMUTABLE, gzip: true },
    "js/app.3f9a1c2b.js": { type: "text/javascript; charset=utf-8", cache: IMMUTABLE, gzip: true },
    "js/module.mjs": { type: "text/javascript; charset=utf-8", cache: REVALIDATE, gzip: true },
    "img/logo.svg": { type: "image/svg+xml; charset=utf-8", cache: REVALIDATE, gzip: true },
    "img/photo.png": { type: "image/png", cache: REVALIDATE, gzip: false },
    "fonts/inter.woff2": { type: "font/woff2", cache: REVALIDATE, gzip: false },
    // The one file where brotli saves more than 1 KB over gzip (15 KB → 5 KB): a copy is kept.
    "data/feed.json": { type: "application/json; charset=utf-8", cache: REVALIDATE, gzip: true, br: true },
    "app.wasm": { type: "application/wasm", cache: REVALIDATE, gzip: true },
    "site.webmanifest": { type: "application/manifest+json; charset=utf-8", cache: REVALIDATE, gzip: true },
  };
  return { files, expected };
}

describe("a realistic site", () => {
  const ref: SiteRef = { workspace: "acme", repo: "website" };
  const { files, expected } = realisticSite("v1");
  // Over the 16 MB small-file bound: these stream through the large-file route (temp key + copy).
  files["media/intro.bin"] = randomBytes(20 * 1024 * 1024);
  expected["media/intro.bin"] = { type: "application/octet-stream", cache: REVALIDATE, gzip: false };
  files["data/catalogue.json"] = Buffer.from(JSON.stringify(Array.from({ length: 500_000 }, (_, i) => ({ sku: `SKU-${i}`, price: (i % 97) + 0.99 }))));
  expected["data/catalogue.json"] = { type: "application/json; charset=utf-8", cache: REVALIDATE, gzip: true };
  const archive = siteArchive(files, { level: 1 });
  let firstDeployId: string;

  it("deploys every file byte-identical, with the right content type, cache-control and stored encoding", async () => {
    expect(files["data/catalogue.json"]!.length).toBeGreaterThan(16 * 1024 * 1024);
    const { record, deployId } = await deploy(world, ref, archive);
    firstDeployId = deployId;
    expect(record.status).toBe("succeeded");
    expect(record.url).toBe("http://website--acme.sites.test/");
    expect(record.stats).toMatchObject({ files: Object.keys(files).length, uploadedBlobs: Object.keys(files).length, reusedBlobs: 0 });
    expect(record.stats!.originalBytes).toBe(Object.values(files).reduce((n, b) => n + b.length, 0));

    expect(await servingDifferences(world, ref, files)).toEqual([]);
    const manifest = await readManifest(world.clients.s3, world.config.buckets.sites, record.manifestKey!);
    for (const [path, want] of Object.entries(expected)) {
      const reply = await fetchSite(world, ref, urlPath(path), { "accept-encoding": "gzip" });
      expect({ path, type: reply.headers["content-type"], cache: reply.headers["cache-control"], encoding: reply.headers["content-encoding"] ?? null }).toEqual({
        path,
        type: want.type,
        cache: want.cache,
        encoding: want.gzip ? "gzip" : null,
      });
      expect({ path, stored: manifest.files[path]!.contentEncoding ?? null, br: manifest.files[path]!.br !== undefined }).toEqual({ path, stored: want.gzip ? "gzip" : null, br: want.br ?? false });
      const browser = await fetchDecoded(world, ref, urlPath(path), BROWSER_ACCEPT_ENCODING);
      expect({ path, encoding: browser.headers["content-encoding"] ?? null, same: browser.body.equals(files[path]!) }).toEqual({ path, encoding: want.br ? "br" : want.gzip ? "gzip" : null, same: true });
    }
    for (const file of Object.values(manifest.files)) if (file.br) expect(file.br.storedSize).toBeLessThan(file.storedSize);
    // Folders serve their index; unknown paths the site's 404 page.
    expect((await fetchDecoded(world, ref, "/about/")).body.equals(files["about/index.html"]!)).toBe(true);
    const missing = await fetchDecoded(world, ref, "/no/such/page");
    expect(missing.status).toBe(404);
    expect(missing.body.equals(files["404.html"]!)).toBe(true);
  });

  it("an unchanged redeploy uploads no blob at all, brotli copies included", async () => {
    const { record } = await deploy(world, ref, archive);
    expect(record.status).toBe("succeeded");
    expect(record.stats).toMatchObject({ files: Object.keys(files).length, reusedBlobs: Object.keys(files).length, uploadedBlobs: 0 });
    // Small files cost no request at all; large ones are compared piece by piece with the live
    // deploy's file at the same path and, being unchanged, are not sent at all.
    const manifest = await readManifest(world.clients.s3, world.config.buckets.sites, record.manifestKey!);
    const streamed = Object.values(manifest.files).filter((f) => f.size > SMALL_FILE_BYTES);
    expect(streamed).toHaveLength(2);
    expect(record.stats!.uploadedBytes).toBe(0);
    expect(await listKeys(world, `sites/${record.siteId}/uploads/`)).toEqual([]);
    expect((await liveStage(world, ref))?.liveDeployId).toBe(record.deployId);
    expect(record.deployId).not.toBe(firstDeployId);
    expect(await servingDifferences(world, ref, files)).toEqual([]);
  });
});

describe("large files on redeploy", () => {
  const ref: SiteRef = { workspace: "acme", repo: "videos" };
  const video = randomBytes(SMALL_FILE_BYTES + 5 * 1024 * 1024); // 21 MiB: three 8 MiB pieces
  const log = Buffer.from(text("GET /index.html 200 1234 - a request line of a long access log", 400_000)); // compressible, > 16 MiB

  it("sends only what changed: an edit in the third piece uploads the file again, spliced with the stored prefix", async () => {
    expect(log.length).toBeGreaterThan(SMALL_FILE_BYTES);
    const first = await deploy(world, ref, siteArchive({ "index.html": "<h1>v1</h1>", "media/clip.mp4": video, "logs/access.log": log }));
    expect(first.record.status).toBe("succeeded");

    const video2 = Buffer.from(video);
    video2.write("edited!", 17 * 1024 * 1024); // inside the third 8 MiB piece
    const log2 = Buffer.concat([log.subarray(0, 9 * 1024 * 1024), Buffer.from("EDITED"), log.subarray(9 * 1024 * 1024 + 6)]); // second piece
    const second = await deploy(world, ref, siteArchive({ "index.html": "<h1>v1</h1>", "media/clip.mp4": video2, "logs/access.log": log2 }));
    expect(second.record.status).toBe("succeeded");
    expect(second.record.stats).toMatchObject({ uploadedBlobs: 2, reusedBlobs: 1 });
    expect(await servingDifferences(world, ref, { "index.html": "<h1>v1</h1>", "media/clip.mp4": video2, "logs/access.log": log2 })).toEqual([]);

    const third = await deploy(world, ref, siteArchive({ "index.html": "<h1>v1</h1>", "media/clip.mp4": video2, "logs/access.log": log2 }));
    expect(third.record.stats).toMatchObject({ uploadedBlobs: 0, reusedBlobs: 3, uploadedBytes: 0 });
    expect(await listKeys(world, `sites/${third.record.siteId}/uploads/`)).toEqual([]);
  });
});

describe("deploy directory", () => {
  it("deploys only the named folder, re-rooted", async () => {
    const ref: SiteRef = { workspace: "acme", repo: "built" };
    const archive = siteArchive({
      "README.md": "# sources",
      "src/index.ts": "export {}",
      "dist/index.html": "<h1>built</h1>",
      "dist/js/app.js": "console.log(1)",
    });
    const { record } = await deploy(world, ref, archive, { directory: "dist" });
    expect(record.status).toBe("succeeded");
    expect(record.stats?.files).toBe(2);
    expect(await servingDifferences(world, ref, { "index.html": "<h1>built</h1>", "js/app.js": "console.log(1)" })).toEqual([]);
    expect((await fetchSite(world, ref, "/README.md")).status).toBe(404);
    expect((await fetchSite(world, ref, "/src/index.ts")).status).toBe(404);
    expect((await fetchSite(world, ref, "/dist/index.html")).status).toBe(404);
  });
});

describe("duplicate events and late finishers", () => {
  it("a duplicate S3 event (raw and URL-encoded key) deploys once", async () => {
    // The handler reads its settings from the environment, as on Lambda.
    Object.assign(process.env, configToEnv(world.config), { AWS_ACCESS_KEY_ID: EMBEDDED_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: EMBEDDED_CREDENTIALS.secretAccessKey });
    const { handler } = await import("../../lambda/handler.ts");
    const ref: SiteRef = { workspace: "acme", repo: "twice" };
    const staged = await stage(world, ref, siteArchive({ "index.html": "<h1>once</h1>" }));
    const created = { eventName: "ObjectCreated:Put", bucket: world.config.buckets.staging, key: staged.key, size: 1 };
    const context = { awsRequestId: "r1", ...lambdaClock(30_000) };
    const [a, b] = await Promise.all([handler(s3Event(created), context), handler(s3Event({ ...created, eventName: "ObjectCreated:Post" }, { encodeKey: true }), context)]);
    const outcomes = [...a.results, ...b.results].map((r) => ("why" in r ? r.why : r.outcome)).sort();
    expect(outcomes).toEqual(["already_claimed", "finished"]);
    // A retry long after the end changes nothing either.
    const late = await handler(s3Event(created), context);
    expect(late.results).toEqual([{ outcome: "skipped", why: "already_claimed" }]);
    const record = await world.records.get(staged.siteId, staged.deployId);
    expect({ status: record?.status, attempt: record?.attempt }).toEqual({ status: "succeeded", attempt: 1 });
    expect(await servingDifferences(world, ref, { "index.html": "<h1>once</h1>" })).toEqual([]);
  });

  it("an older deploy finishing after a newer one is recorded superseded; the newer stays live", async () => {
    const ref: SiteRef = { workspace: "acme", repo: "race" };
    const older = await stage(world, ref, siteArchive({ "index.html": "<h1>older</h1>" }), { deployId: nextDeployId() });
    const newer = await stage(world, ref, siteArchive({ "index.html": "<h1>newer</h1>" }), { deployId: nextDeployId() });
    expect(older.deployId < newer.deployId).toBe(true);

    await runStaged(world, newer);
    const late = await runStaged(world, older);

    expect(late.outcome === "finished" && late.record).toMatchObject({ status: "superseded", reason: "deploy.superseded" });
    expect((await world.records.get(newer.siteId, newer.deployId))?.status).toBe("succeeded");
    expect((await liveStage(world, ref))?.liveDeployId).toBe(newer.deployId);
    expect(await servingDifferences(world, ref, { "index.html": "<h1>newer</h1>" })).toEqual([]);
  });
});

describe("time budget", () => {
  it("stops at the watchdog, records timed_out with progress and the limit, and leaves the live site alone", async () => {
    const ref: SiteRef = { workspace: "acme", repo: "slow" };
    const live = { "index.html": "<h1>live</h1>", "style.css": "p{}" };
    const first = await deploy(world, ref, siteArchive(live));
    expect(first.record.status).toBe("succeeded");
    // Thousands of distinct files uploaded one at a time: far more than the budget allows.
    const many = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`pages/p${i}.html`, `<p>${i} ${randomBytes(16).toString("hex")}</p>`]));
    const config = configWith(world, { HOIST_UPLOAD_CONCURRENCY: "1", HOIST_TIMEOUT_MARGIN_MS: "300" });

    const slow = await deploy(world, ref, siteArchive(many), { config, clock: lambdaClock(1500) });

    expect({ status: slow.record.status, reason: slow.record.reason }).toEqual({ status: "timed_out", reason: "deploy.timed_out" });
    expect(slow.record.reasonMessage).toMatch(/Timed out after \d\.\d s.*files seen so far stored.*live site is unchanged/);
    const p = slow.record.progress!;
    expect(p.limit).toMatch(/^function timeout 2 s \(stopped at 1\.\d s\)$/);
    expect(p.filesDone).toBeGreaterThan(0);
    expect(p.filesSeen).toBeGreaterThanOrEqual(p.filesDone);
    expect(p.filesSeen).toBeLessThan(3000);
    expect(p.archiveBytesRead).toBeGreaterThan(0);
    expect(p.archiveBytesRead).toBeLessThanOrEqual(p.archiveBytes!);
    expect(await manifestExists(world, slow.siteId, slow.deployId)).toBe(false);
    expect((await liveStage(world, ref))?.liveDeployId).toBe(first.deployId);
    expect(await servingDifferences(world, ref, live)).toEqual([]);
  });
});
