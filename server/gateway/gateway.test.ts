import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../../core/config.ts";
import { createLogger } from "../../core/log.ts";
import { blobKey, writeManifest, type Manifest, type ManifestFile } from "../../core/manifest.ts";
import { stageHostLabel } from "../../core/site.ts";
import { Sites } from "../../core/sites.ts";
import { runServe, type RunningServe } from "../cli/serve.ts";
import { requestAsHost, type Reply } from "../../test/support/http.ts";
import { type Content, type SitePublisher, sitePublisher } from "./test-sites.ts";

/**
 * The gateway as a visitor meets it: `hoist serve` on the real embedded backend (s3rver +
 * dynalite in a temp folder), sites written the way the deployer writes them, requests over
 * real HTTP with the Host header a browser would send.
 */

const SITES_DOMAIN = "sites.test";
let dataDir: string;
let serve: RunningServe;
let config: Config;
let port: number;

let putSite: SitePublisher;

function get(host: string, path: string, headers: Record<string, string> = {}, method = "GET"): Promise<Reply> {
  return requestAsHost({ port, host, path, method, headers });
}

const html = (s: string): Content => ({ body: Buffer.from(s), type: "text/html; charset=utf-8", gzip: true });
const bigText = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `line ${i} of a stylesheet\n`).join(""));
const png = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 256));

const site = { workspace: "acme", repo: "website" };
const other = { workspace: "rival", repo: "secret" };
let siteHost: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "hoist-gateway-"));
  config = loadConfig({ PORT: "0", HOIST_DATA_DIR: dataDir, HOIST_SITES_DOMAIN: SITES_DOMAIN, HOIST_BACKEND: "embedded", HOIST_LOG_LEVEL: "silent" });
  serve = await runServe(config, createLogger({ level: "silent" }));
  port = Number(new URL(serve.url).port);
  config = serve.backend.config;
  putSite = sitePublisher(serve.backend.clients, config);
  const v1 = await putSite(site, "01J00000000000000000000001", {
    "index.html": html("<h1>Acme home v1</h1>"),
    "guide/index.html": html("<h1>Guide</h1>"),
    "about.html": html("<h1>About</h1>"),
    "css/site.css": { body: bigText, type: "text/css; charset=utf-8", gzip: true, cache: "public, max-age=31536000, immutable" },
    "js/app.js": { body: bigText, type: "text/javascript; charset=utf-8", gzip: true, br: true, cache: "public, max-age=31536000, immutable" },
    "img/logo.png": { body: png, type: "image/png" },
    "404.html": html("<h1>Nothing here (acme)</h1>"),
  });
  siteHost = `${v1.host}.${SITES_DOMAIN}`;
  await putSite(other, "01J00000000000000000000001", { "index.html": html("<h1>rival secret</h1>"), "404.html": html("rival 404") });
});

afterAll(async () => {
  await serve?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("serving a site's live files", () => {
  it("serves stored gzip as-is to a client that accepts gzip, byte-identical once decoded", async () => {
    const res = await get(siteHost, "/css/site.css", { "accept-encoding": "br, gzip;q=0.8" });
    expect(res.status).toBe(200);
    expect(res.headers["content-encoding"]).toBe("gzip");
    expect(res.headers.vary).toBe("Accept-Encoding");
    expect(Number(res.headers["content-length"])).toBe(res.body.length);
    expect(gunzipSync(res.body).equals(bigText)).toBe(true);
    expect(res.headers["content-type"]).toBe("text/css; charset=utf-8");
    expect(res.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
  });

  it("decodes stored gzip for a client that does not accept it, with the original length", async () => {
    for (const accept of [undefined, "gzip;q=0", "identity"]) {
      const res = await get(siteHost, "/css/site.css", accept ? { "accept-encoding": accept } : {});
      expect(res.headers["content-encoding"]).toBeUndefined();
      expect(res.headers.vary).toBe("Accept-Encoding");
      expect(Number(res.headers["content-length"])).toBe(bigText.length);
      expect(res.body.equals(bigText)).toBe(true);
    }
  });

  it("serves the brotli copy to a browser that accepts br, gzip to one that does not, each with its own ETag", async () => {
    const br = await get(siteHost, "/js/app.js", { "accept-encoding": "gzip, deflate, br, zstd" });
    expect(br.status).toBe(200);
    expect(br.headers["content-encoding"]).toBe("br");
    expect(br.headers.vary).toBe("Accept-Encoding");
    expect(Number(br.headers["content-length"])).toBe(br.body.length);
    expect(brotliDecompressSync(br.body).equals(bigText)).toBe(true);
    expect(String(br.headers.etag)).toMatch(/^"[0-9a-f]{64}-br"$/);

    const gz = await get(siteHost, "/js/app.js", { "accept-encoding": "gzip" });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(gz.body).equals(bigText)).toBe(true);
    // A brotli ETag must not validate the gzip representation, and does validate its own.
    expect((await get(siteHost, "/js/app.js", { "accept-encoding": "gzip", "if-none-match": String(br.headers.etag) })).status).toBe(200);
    const again = await get(siteHost, "/js/app.js", { "accept-encoding": "br", "if-none-match": String(br.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);

    const head = await get(siteHost, "/js/app.js", { "accept-encoding": "br" }, "HEAD");
    expect(head.headers["content-encoding"]).toBe("br");
    expect(Number(head.headers["content-length"])).toBe(br.body.length);
    const plain = await get(siteHost, "/js/app.js");
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(plain.body.equals(bigText)).toBe(true);
  });

  it("serves binary files unchanged whatever the client accepts", async () => {
    const res = await get(siteHost, "/img/logo.png", { "accept-encoding": "gzip" });
    expect(res.status).toBe(200);
    expect(res.headers["content-encoding"]).toBeUndefined();
    expect(res.headers["content-type"]).toBe("image/png");
    expect(res.body.equals(png)).toBe(true);
  });

  it("answers 304 with no body when the ETag of the representation matches", async () => {
    const first = await get(siteHost, "/css/site.css", { "accept-encoding": "gzip" });
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^"[0-9a-f]{64}-gz"$/);
    const again = await get(siteHost, "/css/site.css", { "accept-encoding": "gzip", "if-none-match": `"nope", W/${etag}` });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(etag);
    // The decoded representation is a different one: the gzip ETag must not validate it.
    const plain = await get(siteHost, "/css/site.css", { "if-none-match": etag });
    expect(plain.status).toBe(200);
    expect(plain.headers.etag).not.toBe(etag);
    expect(plain.body.equals(bigText)).toBe(true);
  });

  it("serves a byte range of a file stored as-is (video players need this), and never of gzip'd text", async () => {
    const part = await get(siteHost, "/img/logo.png", { range: "bytes=1000-1999" });
    expect(part.status).toBe(206);
    expect(part.headers["content-range"]).toBe(`bytes 1000-1999/${png.length}`);
    expect(part.body.equals(png.subarray(1000, 2000))).toBe(true);

    const stale = await get(siteHost, "/img/logo.png", { range: "bytes=0-9", "if-range": '"stale"' });
    expect(stale.status).toBe(200);
    expect(stale.body.equals(png)).toBe(true);

    const beyond = await get(siteHost, "/img/logo.png", { range: `bytes=${png.length}-` });
    expect(beyond.status).toBe(416);

    const text = await get(siteHost, "/css/site.css", { range: "bytes=0-9" });
    expect(text.status).toBe(200);
    expect(text.body.equals(bigText)).toBe(true);
  });

  it("answers HEAD with the GET headers and no body", async () => {
    const res = await get(siteHost, "/css/site.css", { "accept-encoding": "gzip" }, "HEAD");
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(0);
    expect(res.headers["content-encoding"]).toBe("gzip");
    expect(Number(res.headers["content-length"])).toBeGreaterThan(0);
  });

  it("serves index.html for / and directories, redirects a directory without its slash, serves pretty URLs", async () => {
    expect((await get(siteHost, "/")).body.toString()).toBe("<h1>Acme home v1</h1>");
    expect((await get(siteHost, "/guide/")).body.toString()).toBe("<h1>Guide</h1>");
    const moved = await get(siteHost, "/guide?from=nav");
    expect(moved.status).toBe(301);
    expect(moved.headers.location).toBe("/guide/?from=nav");
    expect((await get(siteHost, "/about")).body.toString()).toBe("<h1>About</h1>");
  });

  it("serves the site's 404.html with status 404 for a missing path", async () => {
    const res = await get(siteHost, "/no/such/page", { "accept-encoding": "gzip" });
    expect(res.status).toBe(404);
    expect(gunzipSync(res.body).toString()).toBe("<h1>Nothing here (acme)</h1>");
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
  });
});

describe("what the gateway refuses", () => {
  it("answers an unknown site with a plain 404 page and no other site's content", async () => {
    for (const host of [`nobody--nowhere.${SITES_DOMAIN}`, `x.website--acme.${SITES_DOMAIN}`, `WEBSITE--ACME.${SITES_DOMAIN}.evil`]) {
      const res = await get(host, "/", { "accept-encoding": "identity" });
      expect(res.status).toBe(404);
      expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
      const text = res.body.toString();
      expect(text).not.toContain("Acme");
      expect(text).not.toContain("rival");
    }
  });

  it("refuses traversal and NUL tricks with 400", async () => {
    for (const path of ["/../secret--rival/index.html", "/%2e%2e/%2e%2e/etc/passwd", "/css/..%5c..%5cindex.html", "/index.html%00.png", "/%E0%A4%A"]) {
      const res = await get(siteHost, path);
      expect(res.status, path).toBe(400);
      expect(res.body.toString()).not.toContain("Acme home");
    }
  });

  it("answers methods other than GET and HEAD with 405 and Allow", async () => {
    for (const method of ["POST", "PUT", "DELETE"]) {
      const res = await get(siteHost, "/", {}, method);
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe("GET, HEAD");
    }
  });

  it("leaves requests for the bare domain to the app behind it", async () => {
    const res = await get(`localhost:${port}`, "/");
    expect(res.status).toBe(404);
    expect(res.body.toString()).toContain("hosting gateway");
  });
});

describe("a site's old host", () => {
  it("redirects to the host the stage serves on now, keeping path, query and the visitor's scheme", async () => {
    await serve.backend.clients.db.send(new PutCommand({ TableName: config.tables.sites, Item: { host: "old--host", siteId: "acme/moved", stage: "production", owner: "o", movedTo: "new---label" } }));
    const res = await get(`old--host.${SITES_DOMAIN}`, "/docs/a.html?x=1");
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe(`//new---label.${SITES_DOMAIN}/docs/a.html?x=1`);
  });
});

describe("when storage fails", () => {
  it("answers 502 with a request id and no internals when a live manifest names a missing blob", async () => {
    const { s3, db } = serve.backend.clients;
    const siteId = "acme/broken";
    const file: ManifestFile = { hash: "b".repeat(64), size: 5, storedSize: 5, contentType: "text/html; charset=utf-8", cacheControl: "no-cache", blobKey: blobKey(siteId, "b".repeat(64)) };
    const manifest: Manifest = { version: 1, siteId, deployId: "01J00000000000000000000001", stage: "production", commit: "c".repeat(40), createdAt: new Date().toISOString(), files: { "index.html": file } };
    const manifestKey = await writeManifest(s3, config.buckets.sites, manifest);
    const host = stageHostLabel({ workspace: "acme", repo: "broken" });
    await new Sites(db, config.tables.sites).publish({ host, siteId, stage: "production", deployId: manifest.deployId, manifestKey });

    const res = await get(`${host}.${SITES_DOMAIN}`, "/");
    expect(res.status).toBe(502);
    const text = res.body.toString();
    expect(text).toContain(String(res.headers["x-request-id"]));
    expect(text).not.toMatch(/NoSuchKey|at .*\.ts|sites\/acme/);
  });

  it("answers 502 when the live pointer names a manifest that does not exist", async () => {
    const host = stageHostLabel({ workspace: "acme", repo: "lost" });
    await new Sites(serve.backend.clients.db, config.tables.sites).publish({ host, siteId: "acme/lost", stage: "production", deployId: "01J00000000000000000000001", manifestKey: "sites/acme/lost/manifests/missing.json" });
    const res = await get(`${host}.${SITES_DOMAIN}`, "/");
    expect(res.status).toBe(502);
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
  });
});

describe("clients that leave", () => {
  it("keeps serving after a client disconnects in the middle of a file", async () => {
    await new Promise<void>((done, fail) => {
      const req = request({ host: "127.0.0.1", port, path: "/css/site.css", headers: { host: siteHost } }, (res) => {
        res.once("data", () => {
          req.destroy();
          done();
        });
      });
      req.on("error", (err) => ((err as NodeJS.ErrnoException).code === "ECONNRESET" ? undefined : fail(err)));
      req.end();
    });
    const res = await get(siteHost, "/css/site.css");
    expect(res.body.equals(bigText)).toBe(true);
  });
});

describe("publishing and rollback", () => {
  it("shows a new deploy, then a rollback, within about a second", async () => {
    const v2 = await putSite(site, "01J00000000000000000000002", { "index.html": html("<h1>Acme home v2</h1>") });
    await expect.poll(async () => (await get(siteHost, "/")).body.toString(), { timeout: 2500, interval: 100 }).toBe("<h1>Acme home v2</h1>");

    const sites = new Sites(serve.backend.clients.db, config.tables.sites);
    const v1Key = `sites/acme/website/manifests/01J00000000000000000000001.json`;
    const rolledBack = await sites.rollback({ host: v2.host, toDeployId: "01J00000000000000000000001", manifestKey: v1Key, expectedLiveDeployId: "01J00000000000000000000002" });
    expect(rolledBack).toBe(true);
    const started = Date.now();
    await expect.poll(async () => (await get(siteHost, "/")).body.toString(), { timeout: 2500, interval: 50 }).toBe("<h1>Acme home v1</h1>");
    expect(Date.now() - started).toBeLessThan(1500);
  });
});

describe("the repository's own rules (hoist.json headers and redirects)", () => {
  const spa = { workspace: "acme", repo: "app" };
  let host: string;
  beforeAll(async () => {
    const put = await putSite(
      spa,
      "01J00000000000000000000001",
      { "index.html": html("<h1>app shell</h1>"), "assets/app.js": { body: Buffer.from("console.log(1)"), type: "text/javascript; charset=utf-8" } },
      undefined,
      {
        headers: [{ path: "/*", values: { "X-Frame-Options": "DENY" } }, { path: "/assets/*", values: { "Cache-Control": "public, max-age=60" } }],
        redirects: [
          { from: "/old/*", to: "/new/:splat", status: 301 },
          { from: "/docs", to: "https://docs.example.com/", status: 302 },
          { from: "/*", to: "/index.html", status: 200 },
        ],
      },
    );
    host = `${put.host}.${SITES_DOMAIN}`;
  });

  it("adds the configured headers to matching paths, overriding the default cache policy", async () => {
    const asset = await get(host, "/assets/app.js");
    expect(asset.status).toBe(200);
    expect(asset.headers["x-frame-options"]).toBe("DENY");
    expect(asset.headers["cache-control"]).toBe("public, max-age=60");
    const page = await get(host, "/");
    expect(page.headers["x-frame-options"]).toBe("DENY");
    expect(page.headers["cache-control"]).toBe("public, max-age=0, must-revalidate");
  });

  it("redirects with the rule's status and splat, keeping the query", async () => {
    const moved = await get(host, "/old/a/b.html?x=1");
    expect(moved.status).toBe(301);
    expect(moved.headers.location).toBe("/new/a/b.html?x=1");
    const away = await get(host, "/docs");
    expect(away.status).toBe(302);
    expect(away.headers.location).toBe("https://docs.example.com/");
  });

  it("rewrites unknown paths to the app shell with 200 (single-page apps) but never hides real files", async () => {
    const deep = await get(host, "/users/42/settings", { "accept-encoding": "gzip" });
    expect(deep.status).toBe(200);
    expect(gunzipSync(deep.body).toString()).toBe("<h1>app shell</h1>");
    const asset = await get(host, "/assets/app.js");
    expect(asset.body.toString()).toBe("console.log(1)");
  });
});
