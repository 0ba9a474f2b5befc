import { describe, expect, it } from "vitest";
import type { DeployView } from "../api/types.ts";
import { sampleDeploys, sampleSite } from "../dev/fixtures.ts";
import { reasonHint } from "./reason-hints.ts";
import { rollbackTarget } from "./rollback.ts";
import { progressFacts, timeoutHeadline } from "./timeout.ts";

describe("timeoutHeadline", () => {
  it("says how long, how far and of how much", () => {
    const d = { durationMs: 60_000, progress: { filesDone: 12_034, filesSeen: 19_700, bytesDone: 0, bytesSeen: 0, archiveBytesRead: 0, elapsedMs: 58_400 } };
    expect(timeoutHeadline(d)).toBe("Timed out after 58 s at 61% (12,034 of 19,700 files)");
  });
  it("measures how far it got by the archive read when the archive size is known", () => {
    const d = { progress: { filesDone: 900, filesSeen: 950, bytesDone: 0, bytesSeen: 0, archiveBytesRead: 26, archiveBytes: 100, elapsedMs: 3_400 } };
    expect(timeoutHeadline(d)).toBe("Timed out after 3.4 s at 26% of the archive (900 of 950 files seen were stored)");
  });
  it("falls back to the duration, and to no numbers at all", () => {
    expect(timeoutHeadline({ durationMs: 61_000 })).toBe("Timed out after 1 min 1 s");
    expect(timeoutHeadline({})).toBe("Timed out");
  });
  it("states archive progress when the archive size is known", () => {
    const facts = progressFacts({ filesDone: 1, filesSeen: 2, bytesDone: 1000, bytesSeen: 2000, archiveBytesRead: 500, archiveBytes: 1000 });
    expect(facts).toEqual(["Processed 1.0 kB of 2.0 kB of site files seen so far.", "Read 500 B of the 1.0 kB archive (50%)."]);
  });
});

describe("reasonHint", () => {
  it("has a hint per known family and none for unknown codes", () => {
    for (const code of ["archive.symlink", "limits.too_many_files", "config.invalid", "fetch.unauthorized"]) {
      expect(reasonHint(code)).toBeTruthy();
    }
    expect(reasonHint("mystery.code")).toBeUndefined();
    expect(reasonHint("constructor.x")).toBeUndefined();
    expect(reasonHint(undefined)).toBeUndefined();
  });
});

describe("rollbackTarget", () => {
  const deploys = sampleDeploys();
  const { stages } = sampleSite(deploys).site;
  const find = (p: (d: DeployView) => boolean) => deploys.find(p) as DeployView;
  it("allows an earlier succeeded deploy of the same stage", () => {
    const older = find((d) => d.stage === "production" && d.status === "succeeded" && !d.live);
    expect(rollbackTarget(older, stages)?.stage).toBe("production");
  });
  it("refuses the live deploy, failures, and stages without a live deploy", () => {
    expect(rollbackTarget(find((d) => d.stage === "production" && d.live), stages)).toBeUndefined();
    expect(rollbackTarget(find((d) => d.status === "failed"), stages)).toBeUndefined();
    const older = find((d) => d.stage === "production" && d.status === "succeeded" && !d.live);
    expect(rollbackTarget(older, stages.map((s) => ({ ...s, liveDeployId: undefined })))).toBeUndefined();
  });
});
