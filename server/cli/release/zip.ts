import { createHash } from "node:crypto";
import { buffer } from "node:stream/consumers";
import { ZipFile } from "yazl";

/**
 * A reproducible zip: the same files give the same bytes, and so the same CodeSha256, on any
 * machine and in any time zone. `hoist lambda deploy` relies on that to skip unchanged uploads.
 *
 * - entries sorted by name (byte order), regular files with mode 0644;
 * - one fixed timestamp written only in DOS form: yazl converts a Date to DOS fields with local
 *   time getters, so a Date built from local fields (1980-01-01 00:00, the DOS epoch) encodes
 *   identically everywhere; the extended UTC timestamp field is left out because it would not;
 * - a fixed deflate level (zlib's output for a given level is stable across Node releases in
 *   practice; if a Node upgrade ever changes it, the only effect is one extra upload).
 */
const DOS_EPOCH = () => new Date(1980, 0, 1, 0, 0, 0);
const FILE_MODE = 0o100644;

export type Package = { zip: Buffer; codeSha256: string; files: { name: string; bytes: number }[] };

export async function zipReproducibly(files: Map<string, Buffer>): Promise<Package> {
  const zip = new ZipFile();
  const names = [...files.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const name of names) {
    zip.addBuffer(files.get(name)!, name, { mtime: DOS_EPOCH(), mode: FILE_MODE, compressionLevel: 9, forceDosTimestamp: true });
  }
  zip.end();
  const bytes = await buffer(zip.outputStream);
  return { zip: bytes, codeSha256: codeSha256(bytes), files: names.map((name) => ({ name, bytes: files.get(name)!.length })) };
}

/** Lambda's CodeSha256: base64 of the SHA-256 of the deployment package. */
export function codeSha256(zip: Buffer): string {
  return createHash("sha256").update(zip).digest("base64");
}
