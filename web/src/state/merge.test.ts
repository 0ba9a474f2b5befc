import { describe, expect, it } from "vitest";
import { sampleDeploys, sampleSite } from "../dev/fixtures.ts";
import { appendPage, isLive, mergeFirstPage } from "./merge.ts";

const deploys = sampleDeploys();

describe("history merging", () => {
  it("lets fresh copies win and keeps rows loaded further down, newest first", () => {
    const current = deploys.slice(0, 10);
    const fresh = [{ ...(deploys[1] as (typeof deploys)[number]), status: "succeeded" as const }, ...deploys.slice(2, 5)];
    const merged = mergeFirstPage(current, fresh);
    expect(merged.map((d) => d.deployId)).toEqual(current.map((d) => d.deployId));
    expect(merged[1]?.status).toBe("succeeded");
  });
  it("appends a page without duplicates", () => {
    expect(appendPage(deploys.slice(0, 3), deploys.slice(2, 5)).length).toBe(5);
  });
  it("takes liveness from the site's stage pointers", () => {
    const { stages } = sampleSite(deploys).site;
    const live = deploys.find((d) => d.live && d.stage === "production");
    expect(live && isLive(live, stages)).toBe(true);
    const moved = stages.map((s) => (s.stage === "production" ? { ...s, liveDeployId: "other" } : s));
    expect(live && isLive(live, moved)).toBe(false);
  });
});
