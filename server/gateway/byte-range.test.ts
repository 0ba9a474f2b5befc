import { describe, expect, it } from "vitest";
import { ifRangeAllows, parseByteRange } from "./byte-range.ts";

describe("parseByteRange", () => {
  it.each([
    ["bytes=0-99", 1000, { start: 0, end: 99 }],
    ["bytes=500-", 1000, { start: 500, end: 999 }],
    ["bytes=-100", 1000, { start: 900, end: 999 }],
    ["bytes=-5000", 1000, { start: 0, end: 999 }],
    ["bytes=900-5000", 1000, { start: 900, end: 999 }],
    ["bytes=1000-", 1000, "unsatisfiable"],
    ["bytes=-0", 1000, "unsatisfiable"],
    ["bytes=0-", 0, "unsatisfiable"],
    ["bytes=5-1", 1000, undefined],
    ["bytes=0-1,5-6", 1000, undefined],
    ["items=0-1", 1000, undefined],
    ["bytes=-", 1000, undefined],
    [undefined, 1000, undefined],
  ])("%s of %i bytes → %j", (header, size, expected) => {
    expect(parseByteRange(header, size)).toEqual(expected);
  });
});

describe("ifRangeAllows", () => {
  it("honours the range only for the current strong ETag", () => {
    expect(ifRangeAllows(undefined, '"a"')).toBe(true);
    expect(ifRangeAllows('"a"', '"a"')).toBe(true);
    expect(ifRangeAllows('W/"a"', '"a"')).toBe(false);
    expect(ifRangeAllows('"b"', '"a"')).toBe(false);
    expect(ifRangeAllows("Wed, 21 Oct 2015 07:28:00 GMT", '"a"')).toBe(false);
  });
});
