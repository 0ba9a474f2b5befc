import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

/**
 * s3rver keeps each object as files side by side — `<name>._S3rver_object`, its `.md5`, and
 * `<name>._S3rver_metadata.json` — written in place, one after another. A process killed at the
 * wrong moment leaves one of them empty or cut short, and s3rver then answers 500 for the object,
 * its listings, or the bucket (which stopped `npm start`). Before s3rver opens its folder:
 *
 *  - metadata that is not a JSON object is rewritten as `{}` when its object is there (Hoist
 *    keeps nothing in S3 metadata that the gateway serves: headers come from manifests), and
 *    removed when it is not;
 *  - an `.md5` that is not 32 hex digits is removed (s3rver recomputes it from the object);
 *  - after an unclean stop, each object written since that session began is checked against its
 *    `.md5`; one that does not match was cut short, and is moved to `<data>/quarantine/` with its
 *    files rather than served. Content-addressed blobs are uploaded again by the next deploy that
 *    needs them.
 *
 * `session` is the start time of the session that did not close cleanly (undefined after a clean stop).
 */
export type RepairReport = { metadataRewritten: string[]; removed: string[]; quarantined: string[] };

const OBJECT = "._S3rver_object";
const MD5 = "._S3rver_object.md5";
const METADATA = "._S3rver_metadata.json";

export async function repairS3Store(root: string, quarantineDir: string, session?: number): Promise<RepairReport> {
  const report: RepairReport = { metadataRewritten: [], removed: [], quarantined: [] };
  if (!existsSync(root)) return report;
  for (const file of walk(root)) {
    if (file.endsWith(METADATA)) {
      if (isJsonObject(file)) continue;
      const object = file.slice(0, -METADATA.length) + OBJECT;
      if (existsSync(object)) {
        writeFileSync(file, "{}");
        report.metadataRewritten.push(relative(root, file));
      } else {
        rmSync(file, { force: true });
        report.removed.push(relative(root, file));
      }
    } else if (file.endsWith(MD5)) {
      if (/^[0-9a-f]{32}$/.test(readFileSync(file, "utf8"))) continue;
      rmSync(file, { force: true });
      report.removed.push(relative(root, file));
    }
  }
  if (session === undefined) return report;
  for (const object of walk(root)) {
    if (!object.endsWith(OBJECT) || statSync(object).mtimeMs < session) continue;
    const md5File = `${object}.md5`;
    if (!existsSync(md5File)) continue;
    if ((await md5Of(object)) === readFileSync(md5File, "utf8")) continue;
    const base = object.slice(0, -OBJECT.length);
    const target = join(quarantineDir, relative(root, base));
    mkdirSync(dirname(target), { recursive: true });
    for (const suffix of [OBJECT, MD5, METADATA]) {
      if (existsSync(base + suffix)) renameSync(base + suffix, target + suffix);
    }
    report.quarantined.push(relative(root, base));
  }
  return report;
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

function isJsonObject(file: string): boolean {
  try {
    const value: unknown = JSON.parse(readFileSync(file, "utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

function md5Of(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("md5");
    createReadStream(file)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")));
  });
}
