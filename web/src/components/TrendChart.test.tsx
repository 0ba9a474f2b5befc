// @vitest-environment jsdom
import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { sampleDeploys } from "../dev/fixtures.ts";
import { TrendChart, trendPoints, trendSummary } from "./TrendChart.tsx";

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
    expect(summary).toMatch(/^Last \d+ deploys, oldest first\. Duration .+ to .+, latest .+\. Site size .+ to .+ \((?:(?:up|down) \d+%|unchanged)\)\.$/);
    expect(screen.getByText(summary)).toBeTruthy();
    expect(img.querySelectorAll("rect").length).toBe(trendPoints(deploys).length);
  });

  it("draws nothing for fewer than two deploys", () => {
    const { container } = render(<TrendChart deploys={deploys.slice(2, 3)} />);
    expect(container.innerHTML).toBe("");
  });
});
