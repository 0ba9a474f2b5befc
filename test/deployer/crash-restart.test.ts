import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, describe, expect, it } from "vitest";
import type { SiteRef } from "../../core/site.ts";
import { deploy, openEmbeddedWorldAt, servingDifferences, SITES_DOMAIN, type World } from "./fixtures/harness.ts";
import { siteArchive } from "./fixtures/tar.ts";

/**
 * Whatever a killed process leaves in the embedded backend, the next start comes up and the live
 * site serves exactly what it served before: files s3rver cannot read are repaired or
 * quarantined (server/local/s3-store-repair.ts), never left to fail the start.
 */

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "hoist-crash-"));
  dirs.push(dir);
  return dir;
}

function site(name: string, files = 60): Record<string, Buffer> {
  const out: Record<string, Buffer> = { "index.html": Buffer.from(`<h1>${name}</h1>`) };
  for (let i = 0; i < files; i++) out[`assets/f${i}.bin`] = randomBytes(20_000);
  for (let i = 0; i < files; i++) out[`pages/p${i}.html`] = Buffer.from(`<p>${name} ${i}</p>`.repeat(200));
  return out;
}

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(suffix))
    .map((e) => join(e.parentPath, e.name));
}

const ref: SiteRef = { workspace: "acme", repo: "crash" };
const env = (dir: string) => ({ ...process.env, HOIST_DATA_DIR: dir, HOIST_SITES_DOMAIN: SITES_DOMAIN, HOIST_LOG_LEVEL: "silent", HOIST_TABLE_PREFIX: "hoist-" });
const CLI = ["--openssl-legacy-provider", "--no-warnings", "--import", "tsx", "server/cli/hoist.ts"];

describe("starting after a crash", () => {
  it("repairs the files a kill damaged, quarantines an object cut short, and serves the live site as before", async () => {
    // Prepare: a live site, then the damage a SIGKILL can leave, as if the last owner never closed.
    const dir = dataDir();
    const files = site("A", 10);
    let world: World = await openEmbeddedWorldAt(dir);
    expect((await deploy(world, ref, siteArchive(files))).record.status).toBe("succeeded");
    await world.clients.s3.send(new PutObjectCommand({ Bucket: world.config.buckets.staging, Key: "deploys/acme/crash/cut-short.tar.gz", Body: randomBytes(50_000) }));
    await world.close();
    const s3 = join(dir, "s3");
    writeFileSync(filesUnder(join(s3, "hoist-sites"), "._S3rver_metadata.json")[0]!, "");
    writeFileSync(filesUnder(join(s3, "hoist-sites"), "._S3rver_object.md5")[1]!, "");
    writeFileSync(join(s3, "hoist-sites", "orphan._S3rver_metadata.json"), "{");
    const cut = filesUnder(join(s3, "hoist-staging"), "cut-short.tar.gz._S3rver_object")[0]!;
    writeFileSync(cut, randomBytes(1000));
    writeFileSync(join(dir, "session.json"), JSON.stringify({ startedAt: statSync(cut).mtimeMs - 60_000 }));

    // Act: start again.
    world = await openEmbeddedWorldAt(dir);
    try {
      // Assess: the site serves every file byte for byte, and the cut-short object was set aside.
      expect(await servingDifferences(world, ref, files)).toEqual([]);
      expect(filesUnder(join(dir, "quarantine"), "._S3rver_object").map((f) => f.endsWith("cut-short.tar.gz._S3rver_object"))).toEqual([true]);
    } finally {
      await world.close();
    }
  });

  it("comes up and serves one complete version after `hoist deploy` is killed at random moments, again and again", { timeout: 240_000 }, async () => {
    // Prepare: A live; an archive of B to deploy; how long an unkilled `hoist deploy` of B takes.
    const dir = dataDir();
    const A = site("A");
    const B = site("B");
    const archive = join(dir, "b.tar.gz");
    writeFileSync(archive, siteArchive(B));
    let world = await openEmbeddedWorldAt(join(dir, "data"));
    expect((await deploy(world, ref, siteArchive(A))).record.status).toBe("succeeded");
    await world.close();
    const started = Date.now();
    expect(spawnSync(process.execPath, [...CLI, "deploy", archive, "--site", "acme/crash"], { env: env(join(dir, "calibrate")), encoding: "utf8" }).status).toBe(0);
    const fullMs = Date.now() - started;

    const outcomes: { killAtMs: number; served: string }[] = [];
    for (let i = 0; i < 6; i++) {
      // Act: kill `hoist deploy` (which owns the embedded backend) somewhere in its run, then start again.
      const killAtMs = Math.round(300 + Math.random() * fullMs);
      const child = spawn(process.execPath, [...CLI, "deploy", archive, "--site", "acme/crash"], { env: env(join(dir, "data")), stdio: "ignore" });
      const exited = new Promise((done) => child.once("exit", done));
      const timer = setTimeout(() => child.kill("SIGKILL"), killAtMs);
      await exited;
      clearTimeout(timer);
      const setup = spawnSync(process.execPath, [...CLI, "setup"], { env: env(join(dir, "data")), encoding: "utf8" });
      // Assess: the next start works, and the site serves all of A or all of B.
      expect(setup.status, `start after a kill at ${killAtMs} ms failed: ${setup.stderr}`).toBe(0);
      world = await openEmbeddedWorldAt(join(dir, "data"));
      try {
        const asA = await servingDifferences(world, ref, A);
        const asB = asA.length === 0 ? [] : await servingDifferences(world, ref, B);
        expect(asA.length === 0 || asB.length === 0, `after a kill at ${killAtMs} ms: ${asB.slice(0, 3).join("; ")}`).toBe(true);
        outcomes.push({ killAtMs, served: asA.length === 0 ? "A" : "B" });
      } finally {
        await world.close();
      }
    }
    expect(outcomes).toHaveLength(6);
  });
});
