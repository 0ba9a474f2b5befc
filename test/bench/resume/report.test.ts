import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { DeployRun } from "../../../core/deploy-records.ts";
import type { Machine } from "../report.ts";
import type { ResumeDeploy, ResumeResult } from "./index.ts";
import { gapsMs, perRunDeploy, rereadMs, resumeSection, resumeTable, resumeVerdicts, runsTable, writeResumeSection } from "./report.ts";

/** The resume section's arithmetic and its place in BENCHMARKS.md, on made-up figures (nothing is timed here). */

const MB = 1024 * 1024;
const machine: Machine = { cpus: 2, cpuModel: "Test CPU", ramGb: 4, node: "v20.0.0", loadAverage: "0.00 0.00 0.00" };

/** Runs of `seconds` each, starting at t0, `gap` ms apart; run i re-reads i × `skip` ms. */
function runs(count: number, seconds: number, gap: number, skip: number): DeployRun[] {
  const t0 = Date.parse("2026-12-05T12:00:00.000Z");
  return Array.from({ length: count }, (_, i) => ({
    run: i + 1,
    startedAt: new Date(t0 + i * (seconds * 1000 + gap)).toISOString(),
    elapsedMs: seconds * 1000,
    filesStored: 100,
    bytesStored: 100 * MB,
    filesResumed: i * 100,
    skipMs: i * skip,
    archiveBytesRead: (i + 1) * 100 * MB,
    ended: i === count - 1 ? "finished" : "continued",
  }));
}

function deploy(timeoutSeconds: number, wallMs: number, overrides: Partial<ResumeDeploy> = {}): ResumeDeploy {
  const unlimited = timeoutSeconds >= 1800;
  return {
    timeoutSeconds,
    unlimited,
    site: `bench/resume-${unlimited ? "unlimited" : `${timeoutSeconds}s`}`,
    deployId: "01TEST",
    status: "succeeded",
    reason: null,
    message: null,
    continuations: 0,
    files: 1000,
    wallMs,
    handlerMs: wallMs - 10_000,
    peakRssBytes: 200 * MB,
    workers: 1,
    workerCpuMs: 40_000,
    hostCpuMs: 45_000,
    runs: [],
    loadAtStart: "1.00 1.00 1.00",
    loadAtEnd: "2.00 1.50 1.20",
    ...overrides,
  };
}

function result(deploys: ResumeDeploy[], overrides: Partial<ResumeResult> = {}): ResumeResult {
  return {
    corpus: { name: "1000", label: "1 GB", files: 1000, bytes: 1000 * MB, archiveBytes: 800 * MB },
    date: "2026-12-05T12:00:00.000Z",
    loadAtStart: "1.00 1.00 1.00",
    loadAtEnd: "2.00 1.50 1.20",
    timeoutMarginMs: 2000,
    maxContinuations: 20,
    concurrency: 16,
    bound: { peakRssBytes: 216 * MB, date: "2026-12-05T09:00:00.000Z" },
    deploys,
    ...overrides,
  };
}

const good = [
  deploy(1800, 50_000),
  deploy(60, 52_000),
  deploy(20, 60_000, { continuations: 2, runs: runs(3, 18, 1000, 2000), workers: 2 }),
  deploy(10, 64_000, { continuations: 5, runs: runs(6, 8, 500, 1000), workers: 2 }),
];

describe("the resume section of BENCHMARKS.md", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("sums re-read time and the gaps between runs from the record's runs", () => {
    const d = good[3]!;
    expect(rereadMs(d)).toBe((0 + 1 + 2 + 3 + 4 + 5) * 1000);
    expect(gapsMs(d)).toBe(5 * 500);
    expect(gapsMs(good[0]!)).toBe(0);
  });

  it("shows one row per deploy with its ratio to the unlimited one, and the 10 s deploy's runs", () => {
    const table = resumeTable(result(good));
    const rows = table.split("\n").slice(2);
    expect(rows).toHaveLength(4);
    expect(rows[0]).toMatch(/^\| unlimited \(1800 s\) \| succeeded \| 0 \| 50\.0 s \| 1\.00× \|/);
    // 15 s of re-reading in a 64 s deploy: 23%.
    expect(rows[3]).toMatch(/^\| 10 s \| succeeded \| 5 \| 64\.0 s \| 1\.28× \| 15\.0 s \(23%\) \|/);
    expect(rows[3]).toMatch(/\| 40\.0 s \(1\.00×\) \| 200 MB \(2\) \|$/);
    expect(perRunDeploy(result(good))?.timeoutSeconds).toBe(10);
    const perRun = runsTable(good[3]!, 800 * MB).split("\n");
    expect(perRun).toHaveLength(2 + 6);
    expect(perRun[2]).toMatch(/^\| 1 \| continued \| – \| 8\.0 s \| 0\.0 s \(0%\) \| 0 \| 100 \|/);
    expect(perRun[7]).toMatch(/^\| 6 \| finished \| 0\.5 s \| 8\.0 s \| 5\.0 s \(63%\) \| 500 \| 100 \| 100 MB \| 600 MB \(75%\) \|$/);
    expect(runsTable(good[1]!, 800 * MB)).toContain("one run");
  });

  it("marks every goal met when 60 s succeeds, every row is within 1.3× and no worker passes today's bound", () => {
    const lines = resumeVerdicts(result(good));
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).toContain("**met**");
    expect(lines[1]).toContain("60 s **met** (1.04×; worker CPU 1.00×)");
    // The 60 s deploy needed one run: its distance from the baseline is the run's noise.
    expect(lines[1]).toContain("The 60 s deploy needed no continuation");
    expect(lines[1]).not.toContain("Against the quickest");
    // A one-run deploy quicker than the baseline (load): the continued ones are also set against it.
    const noisy = resumeVerdicts(result([deploy(1800, 60_000), deploy(60, 45_000), ...good.slice(2)]))[1]!;
    expect(noisy).toContain("20 s **met** (1.00×");
    expect(noisy).toContain("Against the quickest of them (60 s, 45.0 s) the deploys that were continued took 20 s 1.33×, 10 s 1.42× — over 1.30×.");
    expect(lines[2]).toContain("216 MB");
  });

  it("marks goals not met with the reason: a failed 60 s deploy, the overhead split up, a worker over the bound", () => {
    const bad = [
      deploy(1800, 50_000),
      deploy(60, 70_000, { status: "timed_out", reason: "deploy.timed_out", message: "Timed out after 58 s.", files: 0 }),
      deploy(10, 80_000, { continuations: 5, runs: runs(6, 8, 500, 1000), peakRssBytes: 230 * MB }),
    ];
    const lines = resumeVerdicts(result(bad));
    expect(lines[0]).toContain("**not met**");
    expect(lines[0]).toContain("deploy.timed_out");
    expect(lines[1]).toContain("60 s **not met** (the deploy ended timed_out");
    // 30 s more than the baseline: 15 s re-reading, 2.5 s between runs, 12.5 s the rest.
    expect(lines[1]).toContain(
      "10 s **not met** (1.60×, worker CPU 1.00×; +30.0 s over the unlimited deploy: re-reading the archive up to the checkpoint 15.0 s",
    );
    expect(lines[1]).toContain("2.5 s, the rest 12.5 s");
    expect(lines[2]).toContain("**not met**");
    expect(lines[2]).toContain("highest 230 MB, 10 s");
    expect(lines[2]).toContain("all within the deployer's 256 MB target");
    expect(resumeVerdicts(result(bad, { bound: undefined }))[2]).toContain("no bound");
  });

  it("goes after the deployer section's notes, then rewrites only its own markers", () => {
    dir = mkdtempSync(join(tmpdir(), "hoist-bench-resume-"));
    const file = join(dir, "BENCHMARKS.md");
    writeFileSync(
      file,
      "# Benchmarks\n\n## Deployer\n\n<!-- bench:deployer:start -->\nx\n<!-- bench:deployer:end -->\n\n### Notes\n\nkept\n\n## Add-on (server/)\n\nalso kept\n",
    );
    writeResumeSection(file, result(good), machine);
    const first = readFileSync(file, "utf8");
    expect(first).toMatch(
      /### Notes\n\nkept\n\n## Resumable deploys\n\n<!-- bench:resume:start -->[\s\S]*<!-- bench:resume:end -->\n\n## Add-on \(server\/\)\n\nalso kept\n$/,
    );
    writeFileSync(file, first.replace("## Add-on", "### Notes (resume)\n\nhand-written\n\n## Add-on"));
    writeResumeSection(file, result(good, { date: "2026-12-06T00:00:00.000Z" }), machine);
    const second = readFileSync(file, "utf8");
    expect(second.match(/bench:resume:start/g)).toHaveLength(1);
    expect(second).toContain("on 2026-12-06");
    expect(second).not.toContain("on 2026-12-05");
    expect(second).toContain("hand-written");
    expect(second).toContain("<!-- bench:deployer:end -->");
    expect(resumeSection(result(good), machine)).toContain("Runs of the 10 s deploy");
  });
});
