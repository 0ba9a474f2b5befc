import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Machine } from "../report.ts";
import type { GatewayCell, GatewayResult } from "./index.ts";
import type { ServerName } from "./servers.ts";
import { gatewaySection, gatewayTable, gatewayVerdicts, writeGatewaySection } from "./report.ts";

/** The gateway section's arithmetic and its place in BENCHMARKS.md, on made-up figures (nothing is timed here). */

const MB = 1024 * 1024;
const machine: Machine = { cpus: 2, cpuModel: "Test CPU", ramGb: 4, node: "v20.0.0", loadAverage: "0.00 0.00 0.00" };

function cellOf(request: string, server: ServerName, connections: number, requestsPerSec: number, p99Ms = 5): GatewayCell {
  return {
    request,
    server,
    connections,
    wireBytes: request === "image" ? 5 * MB : 1536,
    result: { requestsPerSec, p50Ms: 1, p99Ms, maxMs: p99Ms, bytesPerSec: 0, requests: requestsPerSec * 10, non2xx: 0, errors: 0, timeouts: 0 },
    rssPeakBytes: server === "hoist" ? 150 * MB : undefined,
  };
}

function result(overrides: Partial<GatewayResult> = {}, cells: GatewayCell[] = []): GatewayResult {
  return {
    date: "2026-12-05T12:00:00.000Z",
    loadAtStart: "0.10 0.10 0.10",
    loadAtEnd: "1.00 0.50 0.20",
    seconds: 10,
    connections: [1, 64],
    host: "gateway--bench.sites.hoist-bench.test",
    files: [],
    servers: ["hoist", "sirv"],
    versions: { autocannon: "9.0.0", sirv: "3.0.2" },
    nginxSkipped: "nginx is not installed",
    cache: { budgetBytes: 64 * MB, maxFileBytes: MB },
    deploy: { files: 3, storedBytes: 5 * MB, durationMs: 1000 },
    rss: { beforeBytes: 100 * MB, peakBytes: 150 * MB, afterBytes: 120 * MB, highWaterBytes: 151 * MB, samples: 100 },
    cells,
    ...overrides,
  };
}

const fast = [
  cellOf("page", "hoist", 1, 5000),
  cellOf("page", "sirv", 1, 4000),
  cellOf("page", "hoist", 64, 12_000, 15),
  cellOf("page", "sirv", 64, 6000),
  cellOf("image", "hoist", 64, 10, 900),
  cellOf("image", "sirv", 64, 20),
];

describe("the gateway section of BENCHMARKS.md", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("marks every goal met when the gateway beats sirv, passes 10,000 req/s and 20 ms p99 at 64, and stays within base + budget", () => {
    const lines = gatewayVerdicts(result({}, fast));
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(line).toContain("**met**");
    // The streamed 5 MB image is reported, not judged against the small-file p99.
    expect(lines[2]).toContain("900 ms");
  });

  it("marks goals not met, naming the worst cell, and judges memory against idle RSS + the cache budget", () => {
    const slow = [cellOf("page", "hoist", 1, 3000), cellOf("page", "sirv", 1, 4000), cellOf("page", "hoist", 64, 9000, 25), cellOf("page", "sirv", 64, 6000)];
    const lines = gatewayVerdicts(
      result({ rss: { beforeBytes: 100 * MB, peakBytes: 165 * MB, afterBytes: 120 * MB, highWaterBytes: 170 * MB, samples: 10 } }, slow),
    );
    expect(lines[0]).toContain("**not met**");
    expect(lines[0]).toContain("0.75×");
    expect(lines[1]).toContain("**not met**");
    expect(lines[2]).toContain("**not met**");
    expect(lines[3]).toContain("**not met**");
    expect(lines[3]).toContain("164.0 MB");
  });

  it("shows a dash for a server that did not run, and no ratio when sirv answered nothing", () => {
    const table = gatewayTable(result({}, [cellOf("image", "hoist", 1, 10), cellOf("image", "sirv", 1, 0)]));
    const row = table.split("\n").find((l) => l.includes("5 MB JPEG"))!;
    expect(row).toContain("| – | – |");
    expect(row.trim().endsWith("| – |")).toBe(true);
    expect(gatewaySection(result({}, fast), machine)).toContain("nginx: not run: nginx is not installed");
  });

  it("rewrites only its own markers, and adds a Gateway section to a file that has none", () => {
    dir = mkdtempSync(join(tmpdir(), "hoist-bench-report-"));
    const file = join(dir, "BENCHMARKS.md");
    writeFileSync(file, "# Benchmarks\n\n## Deployer\n\nkept\n");
    writeGatewaySection(file, result({}, fast), machine);
    const first = readFileSync(file, "utf8");
    expect(first).toMatch(/## Deployer\n\nkept\n\n## Gateway\n\n<!-- bench:gateway:start -->/);
    writeFileSync(file, `${first}\n### Notes (gateway)\n\nhand-written\n`);
    writeGatewaySection(file, result({ date: "2026-12-06T00:00:00.000Z" }, fast), machine);
    const second = readFileSync(file, "utf8");
    expect(second.match(/bench:gateway:start/g)).toHaveLength(1);
    expect(second).toContain("on 2026-12-06");
    expect(second).not.toContain("on 2026-12-05");
    expect(second).toContain("hand-written");
    expect(second).toContain("kept");
  });
});
