import { createCipheriv, createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { create as createTar } from "tar";
import { makeText, Random, type TextKind } from "./site-text.ts";

/**
 * Benchmark corpora: deterministic static sites (same seed → same files), archived as
 * `<top>/...` tar.gz like `git archive`, cached under `.bench/corpora/` and rebuilt only when
 * missing or when GENERATOR_VERSION changes. Binaries are AES-CTR keystream (incompressible,
 * like real PNG/JPEG/MP4 payloads); text is generated markup/code with a Zipf-ish vocabulary,
 * so gzip gets ratios close to real sites (≈3–5×), not the 1000× of zeros.
 */

const GENERATOR_VERSION = 2;
const KB = 1024;
const MB = 1024 * 1024;

export type CorpusName = "25" | "250" | "1000" | "small" | "packages";
/** The deployer table's corpora (`--sizes`); "packages" (real text, below) is the brotli part's. */
export const CORPUS_NAMES: CorpusName[] = ["25", "250", "small", "1000"];

export type CorpusInfo = {
  name: CorpusName;
  label: string;
  archive: string;
  archiveBytes: number;
  files: number;
  bytes: number;
  textBytes: number;
  binaryBytes: number;
  generatorVersion: number;
};

type FileSpec = { path: string; kind: TextKind | "png" | "jpg" | "mp4"; size: number };

export function corpusLabel(name: CorpusName): string {
  return name === "small" ? "20k small files" : name === "1000" ? "1 GB" : name === "packages" ? "real JS/CSS (npm packages)" : `${name} MB`;
}

/**
 * Real text, for what compression saves: generated text says little about how brotli compares
 * with gzip. The web assets (.js, .mjs, .css, .html, .svg, .json) that the packages below ship, as
 * installed from the lockfile (so the corpus changes only when they are upgraded): bundled and
 * minified production code, source code, stylesheets, data.
 */
const REAL_TEXT_PACKAGES = ["react-dom", "react", "vite/dist", "zod", "axe-core", "yaml", "pino", "jose", "@forge/bridge"];
const REAL_TEXT_FILE = /\.(js|mjs|cjs|css|html|svg|json)$/;

/** Returns the cached corpus, generating it first if it is missing or stale. */
export async function ensureCorpus(root: string, name: CorpusName, log: (line: string) => void): Promise<CorpusInfo> {
  const dir = join(root, "corpora");
  const metaFile = join(dir, `${name}.json`);
  const archive = join(dir, `${name}.tar.gz`);
  if (existsSync(metaFile) && existsSync(archive)) {
    const meta = JSON.parse(readFileSync(metaFile, "utf8")) as CorpusInfo;
    if (meta.generatorVersion === GENERATOR_VERSION) return { ...meta, archive };
  }
  const started = Date.now();
  log(`generating corpus ${corpusLabel(name)} (cached afterwards in ${dir})`);
  if (name === "packages") return packagesCorpus(dir, metaFile, archive, log, started);
  const specs = name === "small" ? smallFilesPlan(new Random(`small-v${GENERATOR_VERSION}`)) : mixedSitePlan(new Random(`mixed-${name}-v${GENERATOR_VERSION}`), Number(name) * MB);
  const top = `bench-site-${name}-${createHash("sha1").update(`${name}:${GENERATOR_VERSION}`).digest("hex").slice(0, 12)}`;
  const tree = join(dir, `${name}.tree`);
  rmSync(tree, { recursive: true, force: true });
  const stats = writeTree(join(tree, top), specs, `${name}:${GENERATOR_VERSION}`);
  const entries = archiveOrder(top, specs);
  const partial = `${archive}.partial`;
  await createTar({ gzip: { level: 6 }, file: partial, cwd: tree, portable: true, noDirRecurse: true, mtime: new Date("2024-01-01T00:00:00Z") }, entries);
  rmSync(tree, { recursive: true, force: true });
  renameSync(partial, archive);
  const info: CorpusInfo = { name, label: corpusLabel(name), archive, archiveBytes: statSync(archive).size, files: specs.length, ...stats, generatorVersion: GENERATOR_VERSION };
  writeFileSync(metaFile, JSON.stringify(info, null, 2));
  log(`generated ${info.files} files, ${(info.bytes / MB).toFixed(0)} MB → ${(info.archiveBytes / MB).toFixed(0)} MB archive in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return info;
}

/** Directories first (as git archive lists them), then files, each group sorted. */
function archiveOrder(top: string, specs: FileSpec[]): string[] {
  const dirs = new Set<string>([top]);
  for (const s of specs) {
    let d = dirname(s.path);
    while (d !== ".") {
      dirs.add(`${top}/${d}`);
      d = dirname(d);
    }
  }
  return [...[...dirs].sort(), ...specs.map((s) => `${top}/${s.path}`).sort()];
}

function writeTree(root: string, specs: FileSpec[], seed: string): { bytes: number; textBytes: number; binaryBytes: number } {
  let textBytes = 0;
  let binaryBytes = 0;
  for (const spec of specs) {
    const file = join(root, spec.path);
    mkdirSync(dirname(file), { recursive: true });
    const body = spec.kind === "png" || spec.kind === "jpg" || spec.kind === "mp4" ? mediaBytes(spec.kind, spec.size, `${seed}:${spec.path}`) : makeText(spec.kind, spec.size, new Random(`${seed}:${spec.path}`));
    writeFileSync(file, body);
    if (spec.kind === "png" || spec.kind === "jpg" || spec.kind === "mp4") binaryBytes += body.length;
    else textBytes += body.length;
  }
  return { bytes: textBytes + binaryBytes, textBytes, binaryBytes };
}

const MAGIC: Record<"png" | "jpg" | "mp4", Buffer> = {
  png: Buffer.from("89504e470d0a1a0a0000000d49484452", "hex"),
  jpg: Buffer.from("ffd8ffe000104a46494600010100000100010000", "hex"),
  mp4: Buffer.from("000000206674797069736f6d0000020069736f6d69736f32617663316d703431", "hex"),
};

/** A real format signature, then incompressible bytes (a seeded AES-CTR keystream). */
function mediaBytes(kind: "png" | "jpg" | "mp4", size: number, seed: string): Buffer {
  const key = createHash("sha256").update(seed).digest();
  const cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  const out = Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
  MAGIC[kind].copy(out, 0, 0, Math.min(size, MAGIC[kind].length));
  return out;
}

const logUniform = (r: Random, lo: number, hi: number) => Math.round(Math.exp(Math.log(lo) + r.next() * (Math.log(hi) - Math.log(lo))));

/**
 * A site of about `total` bytes: ~35% text (HTML pages, JS bundles and chunks, CSS, JSON data,
 * SVG icons), ~45% images (20 KB–2 MB), ~20% video (5–30 MB each, at least one).
 */
function mixedSitePlan(r: Random, total: number): FileSpec[] {
  const specs: FileSpec[] = [];
  let videoBudget = total * 0.2;
  for (let i = 0; videoBudget >= 5 * MB || i === 0; i++) {
    const size = Math.max(5 * MB, Math.min(videoBudget, logUniform(r, 5 * MB, 30 * MB)));
    specs.push({ path: `media/clip-${i}.${r.hex(8)}.mp4`, kind: "mp4", size: Math.round(size) });
    videoBudget -= size;
  }
  let imageBudget = total * 0.45;
  for (let i = 0; imageBudget > 0; i++) {
    const size = Math.min(Math.max(20 * KB, imageBudget), logUniform(r, 20 * KB, 2 * MB));
    const ext = r.next() < 0.55 ? "jpg" : "png";
    specs.push({ path: `images/${["photos", "blog", "team", "products"][i % 4]}/img-${i}.${ext}`, kind: ext, size });
    imageBudget -= size;
  }
  let textBudget = total * 0.35;
  for (let i = 0; textBudget > 0; i++) {
    const roll = r.next();
    const [kind, size, path]: [TextKind, number, string] =
      roll < 0.35
        ? ["html", logUniform(r, 4 * KB, 80 * KB), i % 7 === 0 ? `docs/section-${i}/index.html` : `blog/${r.slug()}-${i}/index.html`]
        : roll < 0.55
          ? ["js", logUniform(r, 2 * KB, 800 * KB), `assets/js/${i % 5 === 0 ? "vendor" : "chunk"}-${i}.${r.hex(8)}.js`]
          : roll < 0.63
            ? ["css", logUniform(r, 5 * KB, 150 * KB), `assets/css/style-${i}.${r.hex(8)}.css`]
            : roll < 0.8
              ? ["json", logUniform(r, 1 * KB, 300 * KB), `data/${r.slug()}-${i}.json`]
              : ["svg", logUniform(r, 512, 40 * KB), `assets/icons/icon-${i}.svg`];
    specs.push({ kind, size, path });
    textBudget -= size;
  }
  specs.push({ path: "index.html", kind: "html", size: 24 * KB }, { path: "404.html", kind: "html", size: 6 * KB });
  return specs;
}

/** 20,000 files of 1–8 KB, 100 to a folder: a large documentation site or a generated catalogue. */
function smallFilesPlan(r: Random): FileSpec[] {
  const specs: FileSpec[] = [];
  for (let i = 0; i < 20_000; i++) {
    const roll = r.next();
    const size = 1 * KB + Math.floor(r.next() * 7 * KB);
    const folder = `pages/p${String(Math.floor(i / 100)).padStart(3, "0")}`;
    const spec: FileSpec =
      roll < 0.3
        ? { kind: "html", size, path: `${folder}/page-${i}.html` }
        : roll < 0.5
          ? { kind: "json", size, path: `${folder}/data-${i}.json` }
          : roll < 0.7
            ? { kind: "svg", size, path: `${folder}/icon-${i}.svg` }
            : roll < 0.75
              ? { kind: "css", size, path: `${folder}/style-${i}.${r.hex(8)}.css` }
              : roll < 0.9
                ? { kind: "js", size, path: `${folder}/module-${i}.${r.hex(8)}.js` }
                : { kind: "png", size, path: `${folder}/thumb-${i}.png` };
    specs.push(spec);
  }
  return specs;
}

async function packagesCorpus(dir: string, metaFile: string, archive: string, log: (line: string) => void, started: number): Promise<CorpusInfo> {
  const modules = resolve("node_modules");
  const top = "bench-site-packages";
  const tree = join(dir, "packages.tree");
  rmSync(tree, { recursive: true, force: true });
  const entries: string[] = [];
  let bytes = 0;
  const walk = (from: string, rel: string) => {
    for (const entry of readdirSync(from, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(from, entry.name);
      if (entry.isDirectory() && entry.name !== "node_modules") walk(path, `${rel}/${entry.name}`);
      else if (entry.isFile() && REAL_TEXT_FILE.test(entry.name) && statSync(path).size > 0) {
        const to = join(tree, top, rel, entry.name);
        mkdirSync(dirname(to), { recursive: true });
        copyFileSync(path, to);
        bytes += statSync(path).size;
        entries.push(`${top}/${rel}/${entry.name}`);
      }
    }
  };
  for (const pkg of REAL_TEXT_PACKAGES) {
    if (!existsSync(join(modules, pkg))) throw new Error(`the packages corpus needs node_modules/${pkg}: run npm ci`);
    walk(join(modules, pkg), `npm/${pkg}`);
  }
  const partial = `${archive}.partial`;
  await createTar({ gzip: { level: 6 }, file: partial, cwd: tree, portable: true, mtime: new Date("2024-01-01T00:00:00Z") }, [top]);
  rmSync(tree, { recursive: true, force: true });
  renameSync(partial, archive);
  const info: CorpusInfo = { name: "packages", label: corpusLabel("packages"), archive, archiveBytes: statSync(archive).size, files: entries.length, bytes, textBytes: bytes, binaryBytes: 0, generatorVersion: GENERATOR_VERSION };
  writeFileSync(metaFile, JSON.stringify(info, null, 2));
  log(`collected ${info.files} files, ${(bytes / MB).toFixed(0)} MB → ${(info.archiveBytes / MB).toFixed(1)} MB archive in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return info;
}
