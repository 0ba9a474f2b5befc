// @vitest-environment jsdom
import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { sampleDeploys } from "../dev/fixtures.ts";
import { sizeChange, TrendChart, trendPoints, trendSummary } from "./TrendChart.tsx";

afterEach(cleanup);

describe("TrendChart", () => {
  const deploys = sampleDeploys();
  it("plots at most 20 finished deploys, oldest first", () => {
    const points = trendPoints(deploys);
    expect(points.length).toBeLessThanOrEqual(20);
    expect(points.every((p) => p.deploy.status !== "running" && p.deploy.status !== "queued")).toBe(true);
    const ids = points.map((p) => p.deploy.deployId);
    expect([...ids].sort()).toEqual(ids);
  });

  it("has a text summary for screen readers and sighted readers alike", () => {
    render(<TrendChart deploys={deploys} />);
    const img = screen.getByRole("img");
    const summary = trendSummary(trendPoints(deploys));
    expect(img.getAttribute("aria-label")).toBe(summary);
    expect(summary).toMatch(/^Last \d+ deploys, oldest first\. Duration .+ to .+, latest .+\. Site size .+ to .+ \((?:(?:up|down) \d+%|unchanged|[\d.,]+ times (?:larger|smaller))\)\.$/);
    expect(screen.getByText(summary)).toBeTruthy();
    expect(img.querySelectorAll("rect").length).toBe(trendPoints(deploys).length);
  });

  it("says a big size change in times, not an absurd percentage", () => {
    expect(sizeChange(548, 50_700_000)).toBe("92,518 times larger");
    expect(sizeChange(50_700_000, 548)).toBe("92,518 times smaller");
    expect(sizeChange(1000, 1100)).toBe("up 10%");
    expect(sizeChange(1000, 2500)).toBe("2.5 times larger");
    expect(sizeChange(1000, 1000)).toBe("unchanged");
  });

  it("draws nothing for fewer than two deploys", () => {
    const { container } = render(<TrendChart deploys={deploys.slice(2, 3)} />);
    expect(container.innerHTML).toBe("");
  });
});
