import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SiteRef } from "../../core/site.ts";
import { deploy, listKeys, liveStage, manifestExists, openAwsWorld, servingDifferences, type World } from "./fixtures/harness.ts";
import { siteArchive, targz, TOP } from "./fixtures/tar.ts";
import { type Moto, startMoto, useDummyCredentials } from "../support/moto.ts";

/**
 * The same handler against moto_server: the AWS code path (SDK credential chain, real S3 event
 * key encoding rules, DynamoDB with GSIs and conditional writes as AWS evaluates them).
 */

let moto: Moto;
let world: World;

beforeAll(async () => {
  moto = await startMoto();
  // The SDK's own credential chain, as on Lambda; moto accepts any keys.
  useDummyCredentials();
  world = await openAwsWorld(moto.endpoint);
});

afterAll(async () => {
  await world?.close();
  await moto?.stop();
});

describe("the deployer on moto_server", () => {
  const ref: SiteRef = { workspace: "acme", repo: "on-moto" };
  const files = {
    "index.html": `<!doctype html><h1>moto</h1>${"<p>text</p>".repeat(200)}`,
    "css/app.css": "body { margin: 0 }\n".repeat(300),
    "img/pic.png": Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 251)),
  };
  let firstId: string;

  it("deploys a site, served byte-identical through the gateway", async () => {
    const { record, deployId } = await deploy(world, ref, siteArchive(files));
    firstId = deployId;
    expect(record.status).toBe("succeeded");
    expect(record.stats).toMatchObject({ files: 3, uploadedBlobs: 3, reusedBlobs: 0, compressedFiles: 2 });
    expect(await servingDifferences(world, ref, files)).toEqual([]);
  });

  it("refuses a hostile archive by name and keeps the live site", async () => {
    const before = await listKeys(world, "");
    const hostile = await deploy(world, ref, targz([{ path: `${TOP}/`, type: "dir" }, { path: `${TOP}/index.html`, body: "pwned" }, { path: `${TOP}/../../etc/passwd`, body: "x" }]));
    expect({ status: hostile.record.status, reason: hostile.record.reason }).toEqual({ status: "failed", reason: "archive.path_traversal" });
    const added = (await listKeys(world, "")).filter((k) => !before.includes(k));
    expect(added.filter((k) => !k.startsWith(`sites/${hostile.siteId}/blobs/`))).toEqual([]);
    expect(await manifestExists(world, hostile.siteId, hostile.deployId)).toBe(false);
    expect((await liveStage(world, ref))?.liveDeployId).toBe(firstId);
    expect(await servingDifferences(world, ref, files)).toEqual([]);
  });

  it("redeploys with reuse: only the changed file is uploaded", async () => {
    const changed = { ...files, "index.html": "<h1>moto v2</h1>" };
    const { record } = await deploy(world, ref, siteArchive(changed));
    expect(record.status).toBe("succeeded");
    expect(record.stats).toMatchObject({ files: 3, uploadedBlobs: 1, reusedBlobs: 2 });
    expect(await servingDifferences(world, ref, changed)).toEqual([]);
  });
});
