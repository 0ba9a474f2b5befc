import { PutObjectCommand } from "@aws-sdk/client-s3";
import { randomFillSync } from "node:crypto";
import { createReadStream } from "node:fs";
import { once } from "node:events";
import { createGunzip, gzipSync } from "node:zlib";
import { Parser, type ReadEntry } from "tar";
import { createClients } from "../../core/aws.ts";
import { loadConfig } from "../../core/config.ts";
import { contentTypeFor, shouldCompress } from "../../lambda/deploy/content-type.ts";
import { cpuMsSince, serveChild } from "./child.ts";

/**
 * The two floors a streaming deployer is measured against, each in its own process:
 *  - CPU floor: gunzip + tar parse + gzip (level 6, as the deployer) of every compressible
 *    file, one thread, no hashing, no upload. It also reports the size each object is stored at.
 *  - upload floor: bare PutObjects of objects of exactly those sizes, with the deployer's S3
 *    client settings and concurrency, from one preallocated buffer: no processing at all.
 */

export type CpuFloorJob = { mode: "cpu"; archive: string };
export type CpuFloorResult = { ms: number; cpuMs: number; files: number; originalBytes: number; compressibleBytes: number; storedSizes: number[] };
export type UploadFloorJob = { mode: "upload"; endpoints: { s3: string; dynamodb: string }; bucket: string; prefix: string; sizes: number[]; concurrency: number };
export type UploadFloorResult = { ms: number; cpuMs: number; objects: number; bytes: number };

export async function cpuFloor(job: CpuFloorJob): Promise<CpuFloorResult> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const storedSizes: number[] = [];
  let originalBytes = 0;
  let compressibleBytes = 0;
  const parser = new Parser({ strict: true });
  parser.on("entry", (entry: ReadEntry) => {
    const path = entry.path.slice(entry.path.indexOf("/") + 1);
    if (entry.type !== "File" || path === "") {
      entry.resume();
      return;
    }
    originalBytes += entry.size;
    if (!shouldCompress(path, contentTypeFor(path))) {
      storedSizes.push(entry.size);
      entry.resume();
      return;
    }
    const chunks: Buffer[] = [];
    entry.on("data", (chunk: Buffer) => chunks.push(chunk));
    entry.on("end", () => {
      const original = Buffer.concat(chunks);
      compressibleBytes += original.length;
      const zipped = gzipSync(original, { level: 6 });
      storedSizes.push(Math.min(zipped.length, original.length));
    });
  });
  const ended = once(parser, "end");
  createReadStream(job.archive).pipe(createGunzip()).pipe(parser as unknown as NodeJS.WritableStream);
  await ended;
  return { ms: performance.now() - started, cpuMs: cpuMsSince(cpu), files: storedSizes.length, originalBytes, compressibleBytes, storedSizes };
}

export async function uploadFloor(job: UploadFloorJob): Promise<UploadFloorResult> {
  const config = loadConfig({ HOIST_BACKEND: "embedded", AWS_ENDPOINT_URL_S3: job.endpoints.s3, AWS_ENDPOINT_URL_DYNAMODB: job.endpoints.dynamodb });
  const { s3 } = createClients(config, { embedded: true });
  const source = randomFillSync(Buffer.allocUnsafe(Math.max(1, ...job.sizes)));
  let next = 0;
  let bytes = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  const lane = async () => {
    for (let i = next++; i < job.sizes.length; i = next++) {
      const size = job.sizes[i]!;
      await s3.send(new PutObjectCommand({ Bucket: job.bucket, Key: `${job.prefix}${i}`, Body: source.subarray(0, size), ContentLength: size, ContentType: "application/octet-stream" }));
      bytes += size;
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, lane));
  const ms = performance.now() - started;
  const cpuMs = cpuMsSince(cpu);
  s3.destroy();
  return { ms, cpuMs, objects: job.sizes.length, bytes };
}

serveChild(import.meta.url, async (job: CpuFloorJob | UploadFloorJob) => (job.mode === "cpu" ? cpuFloor(job) : uploadFloor(job)));
