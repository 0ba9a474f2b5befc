import { createCipheriv, createHash } from "node:crypto";
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { create as createTar } from "tar";
import { makeText, Random } from "../site-text.ts";

/**
 * The gateway bench's site: three files, written once per run to `<root>/gateway/site/` and
 * served from there by the disk servers (sirv, nginx), and archived as `site/...` tar.gz (like
 * `git archive`) for Hoist's real deploy path.
 *  - a 1.5 KB HTML page (`/`);
 *  - a 200 KB JavaScript file (generated code, gzip level 6 gets ≈4×);
 *  - a 5 MB JPEG (a JPEG signature, then an AES-CTR keystream: incompressible).
 * The text files also get a `.gz` twin (level 6, as the deployer stores them) for sirv's and
 * nginx's precompressed serving, so "gzip accepted" compares the same bytes on every server.
 * The `.gz` twins are not in the archive.
 */

export type SiteFile = { key: "page" | "script" | "image"; path: string; url: string; bytes: number; gzipBytes?: number; sha256: string };
export type BenchSite = { dir: string; archive: string; files: SiteFile[] };

const KB = 1024;
const MB = 1024 * KB;
const TOP = "site";

function jpegBytes(size: number, seed: string): Buffer {
  const key = createHash("sha256").update(seed).digest();
  const cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  const out = Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
  Buffer.from([0xff, 0xd8, 0xff, 0xe0]).copy(out);
  return out;
}

export async function writeBenchSite(root: string): Promise<BenchSite> {
  const base = join(root, "gateway");
  const dir = join(base, TOP);
  rmSync(base, { recursive: true, force: true });
  const specs: { key: SiteFile["key"]; path: string; url: string; body: Buffer; gzip: boolean }[] = [
    { key: "page", path: "index.html", url: "/", body: makeText("html", 1536, new Random("gateway-page")), gzip: true },
    { key: "script", path: "assets/app.js", url: "/assets/app.js", body: makeText("js", 200 * KB, new Random("gateway-script")), gzip: true },
    { key: "image", path: "img/photo.jpg", url: "/img/photo.jpg", body: jpegBytes(5 * MB, "gateway-image"), gzip: false },
  ];
  const files: SiteFile[] = [];
  for (const spec of specs) {
    const file = join(dir, spec.path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, spec.body);
    let gzipBytes: number | undefined;
    if (spec.gzip) {
      const zipped = gzipSync(spec.body, { level: 6 });
      writeFileSync(`${file}.gz`, zipped);
      gzipBytes = zipped.length;
    }
    files.push({
      key: spec.key,
      path: spec.path,
      url: spec.url,
      bytes: spec.body.length,
      gzipBytes,
      sha256: createHash("sha256").update(spec.body).digest("hex"),
    });
  }
  const archive = join(base, "site.tar.gz");
  const entries = [TOP, `${TOP}/index.html`, `${TOP}/assets`, `${TOP}/assets/app.js`, `${TOP}/img`, `${TOP}/img/photo.jpg`];
  await createTar({ gzip: { level: 6 }, file: archive, cwd: base, portable: true, noDirRecurse: true, mtime: new Date("2024-01-01T00:00:00Z") }, entries);
  if (statSync(archive).size === 0) throw new Error(`could not write ${archive}`);
  return { dir, archive, files };
}
