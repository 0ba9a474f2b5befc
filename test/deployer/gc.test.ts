import { randomBytes } from "node:crypto";
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectGarbage } from "../../core/gc.ts";
import { blobsOf, readManifest } from "../../core/manifest.ts";
import { stageHostLabel, type SiteRef } from "../../core/site.ts";
import { deploy, listKeys, liveStage, objectExists, openEmbeddedWorld, servingDifferences, silent, stage, type World } from "./fixtures/harness.ts";
import { siteArchive } from "./fixtures/tar.ts";

/**
 * Storage stays bounded: after 50 deploys of a changing site and a collection, the site's objects
 * are exactly the retained manifests and the blobs they name, and the live site and every
 * rollback target still left serve byte for byte.
 */
describe("garbage collection", () => {
  let world: World;
  const ref: SiteRef = { workspace: "acme", repo: "gc" };
  const versions: Record<string, Buffer>[] = [];
  // The feed is stored gzip'd with a brotli copy (it saves 10 KB over gzip): gc must keep both.
  const feed = Buffer.from(JSON.stringify(Array.from({ length: 3000 }, (_, i) => ({ id: i, title: `Item ${i}` }))));
  const shared = { "lib/vendor.js": randomBytes(30_000), "img/logo.png": randomBytes(20_000), "data/feed.json": feed };

  beforeAll(async () => {
    world = await openEmbeddedWorld();
  });
  afterAll(async () => world?.close());

  const gc = (opts: { dryRun?: boolean; graceMs?: number } = {}) =>
    collectGarbage({ config: world.config, clients: world.clients, records: world.records, sites: world.sites, logger: silent }, { retention: { days: 0, perStage: 5 }, graceMs: 0, ...opts });

  it("keeps exactly the retained deploys' manifests and blobs, and every one of them still serves", { timeout: 180_000 }, async () => {
    // Prepare: 50 deploys, each with a changed page and an asset of its own.
    const deployIds: string[] = [];
    for (let i = 0; i < 50; i++) {
      const files = { ...shared, "index.html": Buffer.from(`<h1>version ${i}</h1>`), [`assets/v${i}.bin`]: randomBytes(10_000) };
      versions.push(files);
      const d = await deploy(world, ref, siteArchive(files));
      expect(d.record.status).toBe("succeeded");
      deployIds.push(d.deployId);
    }
    // Each deploy deleted its own staged archive once it ended.
    expect(await objectExists(world, world.config.buckets.staging, `deploys/acme/gc/${deployIds[10]}.tar.gz`)).toBe(false);
    // A staged archive whose deploy never ran, and one left by an ended deploy.
    const waiting = await stage(world, ref, siteArchive({ "index.html": "queued" }));
    const leftover = `deploys/acme/gc/${deployIds[0]}.tar.gz`;
    await world.clients.s3.send(new PutObjectCommand({ Bucket: world.config.buckets.staging, Key: leftover, Body: randomBytes(100) }));
    const before = await listKeys(world, "sites/acme/gc/");

    // A dry run says what it would free and frees nothing.
    const dry = await gc({ dryRun: true });
    expect(dry.deploysPruned).toBe(45);
    expect(await listKeys(world, "sites/acme/gc/")).toEqual(before);

    // Act
    const report = await gc();

    // Assess: the history holds the 5 newest (and the queued one), the store holds what they need.
    // Each pruned version had a page and an asset of its own: 2 blobs each.
    expect(report).toMatchObject({ deploysPruned: 45, manifestsDeleted: 45, blobsDeleted: 90, stagedDeleted: 1 });
    const kept = (await world.records.list("acme/gc", { limit: 100 })).deploys;
    expect(kept.map((d) => d.deployId).sort()).toEqual([...deployIds.slice(-5), waiting.deployId].sort());
    const needed = new Set<string>();
    for (const d of kept.filter((d) => d.manifestKey)) {
      needed.add(d.manifestKey!);
      for (const f of Object.values((await readManifest(world.clients.s3, world.config.buckets.sites, d.manifestKey!)).files)) for (const blob of blobsOf(f)) needed.add(blob.key);
    }
    expect(await listKeys(world, "sites/acme/gc/")).toEqual([...needed].sort());
    expect(await objectExists(world, world.config.buckets.staging, leftover)).toBe(false);
    expect(await objectExists(world, world.config.buckets.staging, waiting.key)).toBe(true);
    expect(await servingDifferences(world, ref, versions[49]!)).toEqual([]);
    for (let i = 45; i < 49; i++) {
      const live = (await liveStage(world, ref))!;
      const target = kept.find((d) => d.deployId === deployIds[i])!;
      expect(await world.sites.rollback({ host: stageHostLabel(ref), toDeployId: target.deployId, manifestKey: target.manifestKey!, expectedLiveDeployId: live.liveDeployId! })).toBe(true);
      expect(await servingDifferences(world, ref, versions[i]!), `rollback to version ${i}`).toEqual([]);
    }
  });

  it("never deletes a blob younger than the grace period (a deploy in flight may need it)", async () => {
    const key = "sites/acme/gc/blobs/in-flight-upload";
    await world.clients.s3.send(new PutObjectCommand({ Bucket: world.config.buckets.sites, Key: key, Body: randomBytes(100) }));
    await gc({ graceMs: 3600_000 });
    const head = await world.clients.s3.send(new HeadObjectCommand({ Bucket: world.config.buckets.sites, Key: key }));
    expect(head.ContentLength).toBe(100);
  });
});
