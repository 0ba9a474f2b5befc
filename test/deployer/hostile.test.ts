import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../core/config.ts";
import type { ReasonCode } from "../../core/errors.ts";
import type { SiteRef } from "../../core/site.ts";
import { gzipBomb } from "./fixtures/bomb.ts";
import { configWith, deploy, lambdaClock, listKeys, liveStage, manifestExists, openEmbeddedWorld, openEmbeddedWorldAt, servingDifferences, type World } from "./fixtures/harness.ts";
import { siteArchive, tar, targz, TOP, type TarEntry } from "./fixtures/tar.ts";

/**
 * Every bad input of the deployer's contract, each against a site that is already live:
 * the deploy must fail with its stable reason code and a sentence a person can act on, write
 * nothing but blobs under the site's own prefix (no manifest, no leftover temp uploads), and
 * leave the previous version serving byte for byte.
 *
 * The handler's pipeline runs in this process (runDeploy with a Lambda-shaped clock) against the
 * embedded backend; the last cases drive the real CLI to prove its JSON line and exit code.
 */

let world: World;

beforeAll(async () => {
  world = await openEmbeddedWorld();
});

afterAll(async () => {
  await world?.close();
});

const dir = (path: string): TarEntry => ({ path, type: "dir" });
const file = (path: string, body: string | Buffer = `<p>${path}</p>`): TarEntry => ({ path, body });
const top = dir(`${TOP}/`);
const good = (name: string) => ({
  "index.html": `<!doctype html><h1>${name}: the good version</h1>`,
  "css/site.css": `body { color: #123; } /* ${name} */\n`.repeat(50),
  "img/logo.png": randomBytes(3000),
  "404.html": "<h1>Not here</h1>",
});

type HostileCase = {
  name: string;
  archive: () => Buffer | Promise<Buffer>;
  code: ReasonCode;
  /** The part of the message that tells a person what is wrong or what to do. */
  message: RegExp;
  env?: Record<string, string>;
  after?: (deployed: Awaited<ReturnType<typeof deploy>>, archive: Buffer) => void;
};

const cases: HostileCase[] = [
  { name: "a '..' segment inside the top folder", archive: () => targz([top, file(`${TOP}/index.html`), file(`${TOP}/../../etc/cron.d/evil`)]), code: "archive.path_traversal", message: /outside the site.*Remove that entry/ },
  { name: "a '..' entry beside the top folder", archive: () => targz([top, file(`${TOP}/index.html`), file("../evil.html")]), code: "archive.path_traversal", message: /outside the site/ },
  { name: "an absolute path", archive: () => targz([top, file(`${TOP}/index.html`), file("/etc/passwd")]), code: "archive.absolute_path", message: /absolute path.*relative paths/ },
  { name: "an absolute path as the first entry", archive: () => targz([file("/var/www/index.html"), top, file(`${TOP}/index.html`)]), code: "archive.absolute_path", message: /absolute path/ },
  { name: "a drive-letter root", archive: () => targz([top, file(`${TOP}/index.html`), file("C:\\Windows\\evil.html")]), code: "archive.absolute_path", message: /absolute path/ },
  { name: "a drive letter inside the top folder", archive: () => targz([top, file(`${TOP}/C:/evil.html`)]), code: "archive.absolute_path", message: /absolute path/ },
  { name: "a backslash root", archive: () => targz([top, file(`${TOP}/index.html`), file("\\evil.html")]), code: "archive.absolute_path", message: /absolute path/ },
  { name: "a backslash inside a name", archive: () => targz([top, file(`${TOP}/index.html`), file(`${TOP}/..\\..\\evil.html`)]), code: "archive.bad_name", message: /backslash.*Rename/ },
  { name: "a NUL byte smuggled in a pax path", archive: () => targz([top, file(`${TOP}/index.html`), { path: `${TOP}/a.html`, pax: { path: `${TOP}/a.html\0.php` }, body: "<?php ?>" }]), code: "archive.nul_in_path", message: /NUL byte.*Rename/ },
  { name: "a control character in a name", archive: () => targz([top, file(`${TOP}/in\u0007dex.html`)]), code: "archive.bad_name", message: /control characters/ },
  { name: "a symbolic link", archive: () => targz([top, file(`${TOP}/index.html`), { path: `${TOP}/passwd.html`, type: "symlink", linkname: "/etc/passwd" }]), code: "archive.symlink", message: /symbolic link.*replace the link/ },
  { name: "a hard link", archive: () => targz([top, file(`${TOP}/index.html`), { path: `${TOP}/copy.html`, type: "hardlink", linkname: "/etc/shadow" }]), code: "archive.hard_link", message: /hard link.*regular copy/ },
  { name: "a character device", archive: () => targz([top, { path: `${TOP}/null`, type: "char" }]), code: "archive.special_file", message: /not a regular file.*Remove it/ },
  { name: "a block device", archive: () => targz([top, { path: `${TOP}/sda`, type: "block" }]), code: "archive.special_file", message: /not a regular file/ },
  { name: "a FIFO", archive: () => targz([top, file(`${TOP}/index.html`), { path: `${TOP}/pipe`, type: "fifo" }]), code: "archive.special_file", message: /not a regular file/ },
  {
    name: "a path deeper than the limit",
    archive: () => {
      const deep = `${TOP}/${"d/".repeat(40)}index.html`;
      return targz([top, { path: deep.slice(0, 99), pax: { path: deep }, body: "deep" }]);
    },
    code: "archive.path_too_deep",
    message: /folders deep; the limit is 32.*HOIST_MAX_PATH_DEPTH/,
  },
  {
    name: "a name over 1024 bytes through a pax header",
    archive: () => {
      const long = `${TOP}/${"n".repeat(250)}/${"a".repeat(250)}/${"m".repeat(250)}/${"e".repeat(250)}/${"x".repeat(100)}.html`;
      return targz([top, { path: long.slice(0, 99), pax: { path: long }, body: "long" }]);
    },
    code: "archive.key_too_long",
    message: /longer than \d+ bytes.*Shorten/,
  },
  { name: "names equal after Unicode normalisation (NFC vs NFD)", archive: () => targz([top, file(`${TOP}/caf\u00e9.html`), file(`${TOP}/cafe\u0301.html`)]), code: "archive.name_collision", message: /"café\.html"/ },
  { name: "names equal but for letter case", archive: () => targz([top, file(`${TOP}/index.html`), file(`${TOP}/Index.html`)]), code: "archive.name_collision", message: /differ only by letter case/ },
  { name: "folders equal but for letter case", archive: () => targz([top, file(`${TOP}/Docs/a.html`), file(`${TOP}/docs/b.html`)]), code: "archive.name_collision", message: /letter case/ },
  { name: "the same file twice", archive: () => targz([top, file(`${TOP}/index.html`, "one"), file(`${TOP}/index.html`, "two")]), code: "archive.name_collision", message: /twice.*Remove the duplicate/ },
  { name: "a file and a folder of the same name", archive: () => targz([top, file(`${TOP}/docs`, "a file"), file(`${TOP}/docs/index.html`)]), code: "archive.name_collision", message: /file and the other a folder/ },
  { name: "a folder then a file of the same name", archive: () => targz([top, file(`${TOP}/docs/index.html`), file(`${TOP}/DOCS`, "a file")]), code: "archive.name_collision", message: /folder/ },
  { name: "entries outside the top folder", archive: () => targz([top, file(`${TOP}/index.html`), dir("other/"), file("other/index.html")]), code: "archive.no_top_folder", message: /not all inside one top folder.*git archive/ },
  { name: "no top folder at all", archive: () => targz([file("index.html"), file("about.html")]), code: "archive.no_top_folder", message: /one top folder/ },
  { name: "an empty tar (end-of-archive blocks only)", archive: () => gzipSync(Buffer.alloc(10240)), code: "archive.empty", message: /no files.*Push a commit/ },
  { name: "a top folder and nothing in it", archive: () => targz([top, dir(`${TOP}/empty/`)]), code: "archive.empty", message: /no files/ },
  {
    name: "a tar cut off in the middle of a file",
    archive: () => gzipSync(tar([top, file(`${TOP}/index.html`), file(`${TOP}/big.css`, "x".repeat(5000))]).subarray(0, 512 * 5)),
    code: "archive.truncated",
    message: /ends in the middle|cut off/,
  },
  {
    name: "a gzip stream cut off",
    archive: () => {
      const whole = targz([top, file(`${TOP}/index.html`), file(`${TOP}/data.bin`, randomBytes(20000))]);
      return whole.subarray(0, Math.floor(whole.length / 2));
    },
    code: "archive.truncated",
    message: /cut off.*Push again/,
  },
  {
    name: "a gzip stream whose checksum does not match",
    archive: () => {
      const whole = Buffer.from(targz([top, file(`${TOP}/index.html`)]));
      whole[whole.length - 8]! ^= 0xff; // CRC32 trailer
      return whole;
    },
    code: "archive.corrupt_gzip",
    message: /gzip data is corrupt.*Rebuild/,
  },
  {
    name: "gzip data that does not inflate",
    archive: () => {
      const whole = Buffer.from(targz([top, file(`${TOP}/index.html`, randomBytes(4000))]));
      whole.fill(0xff, 10, 60);
      return whole;
    },
    code: "archive.corrupt_gzip",
    message: /corrupt/,
  },
  { name: "a plain tar, not gzip'd", archive: () => tar([top, file(`${TOP}/index.html`)]), code: "archive.not_gzip", message: /not a gzip archive.*tar\.gz/ },
  { name: "a zip file", archive: () => Buffer.concat([Buffer.from("PK\u0003\u0004"), randomBytes(500)]), code: "archive.not_gzip", message: /not a gzip archive/ },
  { name: "gzip'd bytes that are not a tar", archive: () => gzipSync(randomBytes(5000)), code: "archive.bad_tar", message: /Rebuild|tar/ },
  { name: "a tar header with a bad checksum", archive: () => targz([top, file(`${TOP}/index.html`), { path: `${TOP}/evil.html`, body: "x", badChecksum: true }]), code: "archive.bad_tar", message: /fails its checksum.*Rebuild/ },
  { name: "a negative size (base-256)", archive: () => targz([top, { path: `${TOP}/evil.html`, body: "x".repeat(512), size: -512n }]), code: "archive.bad_tar", message: /Rebuild/ },
  { name: "a size beyond any integer (base-256)", archive: () => targz([top, { path: `${TOP}/evil.html`, body: "x", size: 1n << 80n }]), code: "archive.bad_tar", message: /not a valid tar file/ },
  { name: "an absurd size (a petabyte)", archive: () => targz([top, { path: `${TOP}/evil.bin`, size: 10n ** 15n }]), code: "limits.file_too_large", message: /limit per file.*HOIST_MAX_FILE_BYTES/ },
  {
    name: "a 10 MB gzip bomb that expands to 10 GB",
    archive: async () => (await gzipBomb(TOP)).archive,
    env: { HOIST_MAX_TOTAL_BYTES: String(64 * 1024 * 1024) },
    code: "limits.site_too_large",
    message: /larger than 67108864 bytes uncompressed.*HOIST_MAX_TOTAL_BYTES/,
    after: (deployed, archive) => {
      expect(archive.length).toBeGreaterThan(9_000_000);
      // Stopped at the limit, in the stream: only a sliver of the compressed archive was read.
      expect(deployed.record.progress!.archiveBytesRead).toBeLessThan(archive.length / 4);
      expect(deployed.record.stats!.archiveBytes).toBeLessThan(archive.length / 4);
    },
  },
  {
    name: "more entries than the limit",
    archive: () => siteArchive(Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`page-${i}.html`, `<p>${i}</p>`]))),
    env: { HOIST_MAX_FILES: "5" },
    code: "limits.too_many_files",
    message: /more than 5 entries.*HOIST_MAX_FILES/,
  },
  {
    name: "a file over the per-file limit",
    archive: () => siteArchive({ "index.html": "<p>hi</p>", "video.mp4": randomBytes(10_000) }),
    env: { HOIST_MAX_FILE_BYTES: "4096" },
    code: "limits.file_too_large",
    message: /"video\.mp4" is 10000 bytes; the limit per file is 4096.*HOIST_MAX_FILE_BYTES/,
  },
  {
    name: "a large file over the per-file limit (streamed route)",
    archive: () => siteArchive({ "index.html": "<p>hi</p>", "video.mp4": Buffer.alloc(20 * 1024 * 1024, 7) }, { level: 1 }),
    env: { HOIST_MAX_FILE_BYTES: String(18 * 1024 * 1024) },
    code: "limits.file_too_large",
    message: /limit per file/,
  },
  {
    name: "a site over the total limit, cut off inside a streamed file",
    archive: () => siteArchive({ "index.html": "<p>hi</p>", "a.css": "a{}".repeat(1000), "video.mp4": randomBytes(20 * 1024 * 1024) }, { level: 1 }),
    env: { HOIST_MAX_TOTAL_BYTES: String(19 * 1024 * 1024) },
    code: "limits.site_too_large",
    message: /HOIST_MAX_TOTAL_BYTES/,
  },
  {
    name: "an archive over the compressed limit",
    archive: () => siteArchive({ "index.html": "<p>hi</p>", "noise.bin": randomBytes(20_000) }),
    env: { HOIST_MAX_ARCHIVE_BYTES: "10000" },
    code: "limits.archive_too_large",
    message: /limit is 10000.*HOIST_MAX_ARCHIVE_BYTES/,
  },
];

describe("hostile archives are refused by name and the live site keeps serving", () => {
  cases.forEach((c, i) => {
    it(`${c.code}: ${c.name}`, async () => {
      // Prepare: a live, good version of a site of its own.
      const ref: SiteRef = { workspace: "hostile", repo: `case-${i}` };
      const goodFiles = good(c.name);
      const first = await deploy(world, ref, siteArchive(goodFiles));
      expect(first.record.status).toBe("succeeded");
      const siteId = `${ref.workspace}/${ref.repo}`;
      const before = await listKeys(world, "");
      const archive = await c.archive();
      const config: Config = c.env ? configWith(world, c.env) : world.config;

      // Act
      const hostile = await deploy(world, ref, archive, { config, clock: lambdaClock(30_000) });

      // Assess: the named refusal, recorded on the deploy.
      expect(hostile.result.outcome).toBe("finished");
      expect({ status: hostile.record.status, reason: hostile.record.reason }).toEqual({ status: "failed", reason: c.code });
      expect(hostile.record.reasonMessage).toMatch(c.message);
      expect(hostile.record.reasonMessage).toMatch(/\.$/);
      c.after?.(hostile, archive);

      // Nothing outside the deploy's own keys: only new blobs of this site, no manifest, no temp uploads.
      const after = await listKeys(world, "");
      const added = after.filter((k) => !before.includes(k));
      const blobPrefix = `sites/${siteId}/blobs/`;
      expect(added.filter((k) => !k.startsWith(blobPrefix))).toEqual([]);
      expect(after.filter((k) => k.includes("/uploads/"))).toEqual([]);
      expect(before.filter((k) => !after.includes(k))).toEqual([]);
      expect(await manifestExists(world, siteId, hostile.deployId)).toBe(false);

      // The previous version is still live, byte for byte.
      expect((await liveStage(world, ref))?.liveDeployId).toBe(first.deployId);
      expect(await servingDifferences(world, ref, goodFiles)).toEqual([]);
    });
  });
});

describe("through the real CLI (`hoist deploy`, a child process with its own LocalLambda)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "hoist-cli-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  function hoistDeploy(archive: Buffer, name: string): { code: number | null; line: Record<string, unknown> } {
    const path = join(dataDir, name);
    writeFileSync(path, archive);
    const out = spawnSync("npm", ["run", "--silent", "hoist", "--", "deploy", path, "--site", "cli/site", "--timeout", "30"], {
      cwd: process.cwd(),
      env: { ...process.env, HOIST_DATA_DIR: join(dataDir, "data"), HOIST_SITES_DOMAIN: "sites.test", HOIST_LOG_LEVEL: "silent" },
      encoding: "utf8",
      timeout: 90_000,
    });
    const lines = out.stdout.trim().split("\n");
    return { code: out.status, line: JSON.parse(lines[lines.length - 1]!) as Record<string, unknown> };
  }

  it("prints one JSON line and exits 0 for a good site, 1 with the reason for a hostile one", { timeout: 120_000 }, async () => {
    const goodFiles = { "index.html": "<h1>cli</h1>", "app.js": "console.log('cli')\n".repeat(100) };
    const ok = hoistDeploy(siteArchive(goodFiles), "good.tar.gz");
    expect(ok.code).toBe(0);
    expect(Object.keys(ok.line).sort()).toEqual(["archiveBytes", "continuations", "deployId", "durationMs", "files", "message", "originalBytes", "reason", "reusedBlobs", "status", "storedBytes", "uploadedBytes", "url"].sort());
    expect(ok.line).toMatchObject({ status: "succeeded", reason: null, message: null, files: 2, reusedBlobs: 0, url: "http://site--cli.sites.test/" });

    const bad = hoistDeploy(targz([top, file(`${TOP}/index.html`, "pwned"), { path: `${TOP}/link.html`, type: "symlink", linkname: "/etc/passwd" }]), "bad.tar.gz");
    expect(bad.code).toBe(1);
    expect(bad.line).toMatchObject({ status: "failed", reason: "archive.symlink" });
    expect(bad.line.message).toMatch(/symbolic link/);

    // The data folder the CLI used still serves the good version.
    const cliWorld = await openEmbeddedWorldAt(join(dataDir, "data"));
    try {
      expect(await servingDifferences(cliWorld, { workspace: "cli", repo: "site" }, goodFiles)).toEqual([]);
    } finally {
      await cliWorld.close();
    }
  });
});
