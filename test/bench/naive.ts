import { PutObjectCommand } from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import { x as extract } from "tar";
import { createClients } from "../../core/aws.ts";
import { loadConfig } from "../../core/config.ts";
import { contentTypeFor, shouldCompress } from "../../lambda/deploy/content-type.ts";
import { cpuMsSince, serveChild } from "./child.ts";

/**
 * The approach the seed abandoned: extract the whole tar.gz to a temp folder with node-tar,
 * then read, hash, gzip (compressible types, level 6) and PutObject each file with the
 * deployer's concurrency and S3 client settings. The same work as the deployer, through disk.
 */

export type NaiveJob = { archive: string; tempDir: string; endpoints: { s3: string; dynamodb: string }; bucket: string; prefix: string; concurrency: number };
export type NaiveResult = { ms: number; cpuMs: number; extractMs: number; files: number; uploadedBytes: number };

const gzip = promisify(gzipCallback);

export async function naiveDeploy(job: NaiveJob): Promise<NaiveResult> {
  const config = loadConfig({ HOIST_BACKEND: "embedded", AWS_ENDPOINT_URL_S3: job.endpoints.s3, AWS_ENDPOINT_URL_DYNAMODB: job.endpoints.dynamodb });
  const { s3 } = createClients(config, { embedded: true });
  rmSync(job.tempDir, { recursive: true, force: true });
  mkdirSync(job.tempDir, { recursive: true });
  try {
    const started = performance.now();
    const cpu = process.cpuUsage();
    await extract({ file: job.archive, cwd: job.tempDir, strip: 1 });
    const extractMs = performance.now() - started;
    const files = listFiles(job.tempDir);
    let next = 0;
    let uploadedBytes = 0;
    const lane = async () => {
      for (let i = next++; i < files.length; i = next++) {
        const path = relative(job.tempDir, files[i]!);
        const original = await readFile(files[i]!);
        const hash = createHash("sha256").update(original).digest("hex");
        const contentType = contentTypeFor(path);
        let body = original;
        let encoding: string | undefined;
        if (shouldCompress(path, contentType)) {
          const zipped = await gzip(original, { level: 6 });
          if (zipped.length < original.length) {
            body = zipped;
            encoding = "gzip";
          }
        }
        await s3.send(new PutObjectCommand({ Bucket: job.bucket, Key: `${job.prefix}${hash}`, Body: body, ContentLength: body.length, ContentType: contentType, ContentEncoding: encoding }));
        uploadedBytes += body.length;
      }
    };
    await Promise.all(Array.from({ length: job.concurrency }, lane));
    return { ms: performance.now() - started, cpuMs: cpuMsSince(cpu), extractMs, files: files.length, uploadedBytes };
  } finally {
    s3.destroy();
    rmSync(job.tempDir, { recursive: true, force: true });
  }
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

serveChild(import.meta.url, naiveDeploy);
