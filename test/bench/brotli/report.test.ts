import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Machine } from "../report.ts";
import type { BrotliCorpusResult, BrotliDeploy, BrotliResult } from "./index.ts";
import { brotliFindings, brotliSection, brotliTable, downloadBytes, median, summarize, writeBrotliSection } from "./report.ts";

/** The brotli section's arithmetic and its place in BENCHMARKS.md, on made-up figures (nothing is deployed or timed here). */

const MB = 1024 * 1024;
const machine: Machine = { cpus: 2, cpuModel: "Test CPU", ramGb: 4, node: "v20.0.0", loadAverage: "0.00 0.00 0.00" };

/** A site of 10 MB of media stored as it is and 40 MB of text gzip'd to 10 MB; at a quality above 0 the text's brotli copies come to 9 MB. */
function bytes(quality: number): BrotliDeploy["bytes"] {
  const files = {
    "media/clip.mp4": { size: 10 * MB, storedSize: 10 * MB },
    "index.html": {
      size: 20 * MB,
      storedSize: 5 * MB,
      contentEncoding: "gzip" as const,
      br: quality > 0 ? { blobKey: "b/1.br", storedSize: 4.5 * MB } : undefined,
    },
    "app.js": {
      size: 20 * MB,
      storedSize: 5 * MB,
      contentEncoding: "gzip" as const,
      br: quality > 0 ? { blobKey: "b/2.br", storedSize: 4.5 * MB } : undefined,
    },
  };
  return downloadBytes(files);
}

function deploy(quality: number, repeat: number, wallMs: number, overrides: Partial<BrotliDeploy> = {}): BrotliDeploy {
  return {
    quality,
    repeat,
    site: "bench/brotli-25",
    deployId: "01TEST",
    wallMs,
    handlerMs: wallMs - 1000,
    beforeHandlerMs: 800,
    afterHandlerMs: 200,
    workerCpuMs: quality > 0 ? 3000 : 2000,
    hostCpuMs: 1500,
    peakRssBytes: (quality > 0 ? 190 : 180) * MB,
    workers: 1,
    files: 3,
    storedBytes: 20 * MB,
    uploadedBytes: quality > 0 ? 29 * MB : 20 * MB,
    uploadedBlobs: 3,
    bytes: bytes(quality),
    loadAtStart: "1.00 1.00 1.00",
    ...overrides,
  };
}

function corpus(deploys: BrotliDeploy[]): BrotliCorpusResult {
  return { corpus: { name: "25", label: "25 MB", files: 3, bytes: 50 * MB, textBytes: 40 * MB, archiveBytes: 20 * MB }, deploys };
}

function result(corpora: BrotliCorpusResult[], overrides: Partial<BrotliResult> = {}): BrotliResult {
  return {
    date: "2026-12-05T12:00:00.000Z",
    loadAtStart: "1.00 1.00 1.00",
    loadAtEnd: "2.00 1.50 1.20",
    concurrency: 16,
    qualities: [0, 5],
    repeats: 3,
    corpora,
    ...overrides,
  };
}

// Rounds 0,5 | 5,0 | 0,5: quality 0 at 3.0, 3.4 and 2.9 s (median 3.0), quality 5 at 3.3, 3.9 and 3.2 s (median 3.3).
const interleaved = corpus([deploy(0, 1, 3000), deploy(5, 1, 3300), deploy(5, 2, 3900), deploy(0, 2, 3400), deploy(0, 3, 2900), deploy(5, 3, 3200)]);

describe("the brotli section of BENCHMARKS.md", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("sums what each kind of client downloads from a manifest's entries", () => {
    const b = bytes(5);
    expect(b).toEqual({
      files: 3,
      compressibleFiles: 2,
      brFiles: 2,
      identity: 50 * MB,
      gzip: 20 * MB,
      br: 19 * MB,
      compressible: { identity: 40 * MB, gzip: 10 * MB, br: 9 * MB },
    });
    // Without brotli copies a br client gets the gzip blobs.
    const none = bytes(0);
    expect(none.brFiles).toBe(0);
    expect(none.br).toBe(none.gzip);
    expect(downloadBytes({})).toEqual({
      files: 0,
      compressibleFiles: 0,
      brFiles: 0,
      identity: 0,
      gzip: 0,
      br: 0,
      compressible: { identity: 0, gzip: 0, br: 0 },
    });
  });

  it("takes each quality's median and range over its rounds", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNaN();
    const [q0, q5] = summarize(interleaved, [0, 5]);
    expect(q0).toMatchObject({ quality: 0, deploys: 3, wallMs: 3000, wallMinMs: 2900, wallMaxMs: 3400, handlerMs: 2000, workerCpuMs: 2000, bytesVary: false });
    expect(q5).toMatchObject({ quality: 5, deploys: 3, wallMs: 3300, wallMinMs: 3200, wallMaxMs: 3900, peakRssBytes: 190 * MB, bytesVary: false });
    // A quality with no deploys is left out.
    expect(summarize(interleaved, [0, 4, 5]).map((s) => s.quality)).toEqual([0, 5]);
  });

  it("shows one row per quality, against quality 0, with the bytes each client downloads", () => {
    const rows = brotliTable(interleaved, [0, 5]).split("\n").slice(2);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toBe(
      "| 0 (none) | 3 | 3.00 s (2.90 s–3.40 s) | 1.00× | 2.00 s | 1.00× | 2.00 s | 1.00× | 180 MB | 20.00 MB | 0 (of 2) | 20.00 MB | 20.00 MB | 0.0% / 0.0% |",
    );
    // 10 MB of gzip'd text → 9 MB brotli: 10% less; over the whole 20 MB site, 1 MB is 5%.
    expect(rows[1]).toBe(
      "| 5 | 3 | 3.30 s (3.20 s–3.90 s) | 1.10× | 2.30 s | 1.15× | 3.00 s | 1.50× | 190 MB | 29.00 MB | 2 (of 2) | 20.00 MB | 19.00 MB | 5.0% / 10.0% |",
    );
    const varied = corpus([deploy(0, 1, 3000), deploy(0, 2, 3000, { bytes: { ...bytes(0), gzip: 21 * MB } })]);
    expect(brotliTable(varied, [0])).toContain("(bytes varied between rounds)");
  });

  it("states the cost and the saving per quality, and the baseline's own spread", () => {
    const lines = brotliFindings(result([interleaved]));
    expect(lines).toHaveLength(2);
    // +0.3 s of wall and of handler: quality 0's wall and handler both spread 0.5 s.
    expect(lines[0]).toContain(
      "25 MB, quality 5: deploy wall 1.10× quality 0's (+0.30 s, within quality 0's own spread), handler 1.15× (+0.30 s, within quality 0's own spread)",
    );
    expect(lines[0]).toContain("worker CPU 1.50× (+1.00 s)");
    expect(lines[0]).toContain("uploads +9.00 MB (45.0%) for 2 brotli copies");
    expect(lines[0]).toContain(
      "a br client downloads 10.0% less than a gzip client over the compressible files (10.00 MB → 9.00 MB), 5.0% less over the whole site.",
    );
    expect(lines[1]).toContain("quality 0 (the baseline): 3 deploys, wall 2.90 s–3.40 s (a spread of 16.7% of the median), handler 1.90 s–2.40 s (25.0%)");
    expect(lines[1]).toContain("ranged 0.80 s–0.80 s at quality 0, 0.80 s–0.80 s at quality 5.");
    // Outside the baseline's spread: no "within" remark.
    const clear = corpus([deploy(0, 1, 3000), deploy(5, 1, 4000), deploy(5, 2, 4100), deploy(0, 2, 3100)]);
    expect(brotliFindings(result([clear]))[0]).not.toContain("within");
    expect(brotliFindings(result([corpus([deploy(5, 1, 3000)])]))[0]).toContain("no quality 0 deploy");
  });

  it("goes at the end of a file without its markers, then rewrites only its own markers", () => {
    dir = mkdtempSync(join(tmpdir(), "hoist-bench-brotli-"));
    const file = join(dir, "BENCHMARKS.md");
    writeFileSync(file, "# Benchmarks\n\n## Gateway\n\n<!-- bench:gateway:start -->\nx\n<!-- bench:gateway:end -->\n\n### Notes\n\nkept\n");
    writeBrotliSection(file, result([interleaved]), machine);
    const first = readFileSync(file, "utf8");
    expect(first).toMatch(/### Notes\n\nkept\n\n## Brotli at deploy time\n\n<!-- bench:brotli:start -->[\s\S]*<!-- bench:brotli:end -->\n$/);
    expect(first).toContain("Machine: 2 vCPU Test CPU, 4 GB RAM, Node v20.0.0, Linux;");
    expect(first).toContain("(0, 5 | 5, 0 | …)");
    writeFileSync(file, `${first}\n### Notes (brotli)\n\nhand-written\n`);
    writeBrotliSection(file, result([interleaved], { date: "2026-12-06T00:00:00.000Z" }), machine);
    const second = readFileSync(file, "utf8");
    expect(second.match(/bench:brotli:start/g)).toHaveLength(1);
    expect(second.match(/## Brotli at deploy time/g)).toHaveLength(1);
    expect(second).toContain("on 2026-12-06");
    expect(second).not.toContain("on 2026-12-05");
    expect(second).toContain("hand-written");
    expect(second).toContain("<!-- bench:gateway:end -->");
    writeFileSync(file, second.replace("<!-- bench:brotli:start -->", ""));
    expect(() => writeBrotliSection(file, result([interleaved]), machine)).toThrow(/restore the markers/);
  });

  it("has a table per corpus", () => {
    const small = { ...interleaved, corpus: { ...interleaved.corpus, name: "small", label: "20k small files" } };
    const section = brotliSection(result([interleaved, small]), machine);
    expect(section.match(/^\| brotli quality /gm)).toHaveLength(2);
    expect(section).toContain(
      "**20k small files** (3 files, 50.00 MB of which 40.00 MB text, archive 20.00 MB). Without compression a visitor downloads 50.00 MB; 2 files (40.00 MB) are stored gzip'd (10.00 MB).",
    );
  });
});
