import { describe, expect, it } from "vitest";
import { formatBytes } from "./bytes.ts";
import { formatCount, plural } from "./count.ts";
import { formatDuration } from "./duration.ts";
import { formatPercent, formatSaving, percentOf } from "./percent.ts";
import { formatExactTime, formatRelativeTime } from "./relative-time.ts";

describe("formatBytes", () => {
  it("uses decimal units with one decimal below 100", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(1000)).toBe("1.0 kB");
    expect(formatBytes(42_500)).toBe("42.5 kB");
    expect(formatBytes(318_000_000)).toBe("318 MB");
    expect(formatBytes(999_960)).toBe("1.0 MB");
    expect(formatBytes(1_020_000_000)).toBe("1.0 GB");
  });
  it("shows a dash for nonsense", () => {
    expect(formatBytes(-1)).toBe("–");
    expect(formatBytes(Number.NaN)).toBe("–");
  });
});

describe("formatDuration", () => {
  it("floors seconds and steps up to minutes and hours", () => {
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(1_530)).toBe("1.5 s");
    expect(formatDuration(9_990)).toBe("9.9 s");
    expect(formatDuration(10_000)).toBe("10 s");
    expect(formatDuration(58_900)).toBe("58 s");
    expect(formatDuration(60_000)).toBe("1 min");
    expect(formatDuration(72_000)).toBe("1 min 12 s");
    expect(formatDuration(3_720_000)).toBe("1 h 2 min");
  });
});

describe("percentages", () => {
  it("floors so 100% means all of it", () => {
    expect(percentOf(12_034, 19_700)).toBe(61);
    expect(percentOf(19_699, 19_700)).toBe(99);
    expect(percentOf(5, 0)).toBeUndefined();
    expect(formatPercent(1, 3)).toBe("33%");
  });
  it("states the compression saving, never negative", () => {
    expect(formatSaving(10_000_000, 3_800_000)).toBe("62%");
    expect(formatSaving(100, 120)).toBe("0%");
    expect(formatSaving(0, 0)).toBe("0%");
  });
});

describe("counts", () => {
  it("groups thousands and pluralises", () => {
    expect(formatCount(12_034)).toBe("12,034");
    expect(plural(1, "file")).toBe("1 file");
    expect(plural(19_700, "file")).toBe("19,700 files");
  });
});

describe("relative time", () => {
  const now = Date.parse("2026-03-05T14:00:00Z");
  it("reads like a person", () => {
    expect(formatRelativeTime("2026-03-05T13:59:50Z", now)).toBe("just now");
    expect(formatRelativeTime("2026-03-05T13:57:00Z", now)).toBe("3 minutes ago");
    expect(formatRelativeTime("2026-03-05T11:00:00Z", now)).toBe("3 hours ago");
    expect(formatRelativeTime("2026-03-04T12:00:00Z", now)).toBe("yesterday");
    expect(formatRelativeTime("2026-02-19T14:00:00Z", now)).toBe("2 weeks ago");
    expect(formatRelativeTime("not a date", now)).toBe("–");
  });
  it("gives the exact time for hover titles", () => {
    expect(formatExactTime("2026-03-05T14:02:11Z")).toMatch(/2026/);
    expect(formatExactTime("garbage")).toBe("garbage");
  });
});
