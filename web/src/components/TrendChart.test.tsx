// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { sampleDeploys } from "../dev/fixtures.ts";
import { describePoint, sizeChange, TrendChart, trendPoints, trendSummary } from "./TrendChart.tsx";

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

  it("names both axes with their units and ends", () => {
    const { container } = render(<TrendChart deploys={deploys} />);
    const points = trendPoints(deploys);
    const duration = container.querySelector(".trend__axis--duration") as HTMLElement;
    const size = container.querySelector(".trend__axis--size") as HTMLElement;
    expect(duration.textContent).toMatch(/^Duration\d[\d.]* (ms|s|min)/);
    expect(duration.textContent).toMatch(/0 s$/);
    expect(size.textContent).toMatch(/^Site size[\d.]+ (B|KB|MB|GB)[\d.]+ (B|KB|MB|GB)$/);
    expect(container.querySelector(".trend__axis--deploys")?.textContent).toBe(`Last ${points.length} deploys, oldest first → newest`);
  });

  it("names the deploy under the arrow keys (and the pointer) below the chart", () => {
    const { container } = render(<TrendChart deploys={deploys} />);
    const readout = () => container.querySelector(".trend__readout")?.textContent;
    const points = trendPoints(deploys);
    const canvas = screen.getByRole("slider", { name: "Deploy in the trend chart" });
    canvas.focus();
    fireEvent.keyDown(canvas, { key: "End" });
    const latest = points.at(-1);
    expect(latest).toBeDefined();
    expect(readout()).toBe(describePoint(latest as (typeof points)[number]));
    fireEvent.keyDown(canvas, { key: "ArrowLeft" });
    expect(readout()).toBe(describePoint(points.at(-2) as (typeof points)[number]));
    expect(canvas.getAttribute("aria-valuetext")).toBe(describePoint(points.at(-2) as (typeof points)[number]));
    expect(document.querySelectorAll(".trend__bar--chosen").length).toBe(1);
    fireEvent.pointerLeave(canvas);
    expect(document.querySelectorAll(".trend__bar--chosen").length).toBe(0);
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
