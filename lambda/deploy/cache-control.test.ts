import { describe, expect, it } from "vitest";
import { cacheControlFor, IMMUTABLE, isFingerprinted, REVALIDATE } from "./cache-control.ts";
import { contentTypeFor } from "./content-type.ts";

describe("cacheControlFor", () => {
  it.each([
    ["index.html", REVALIDATE],
    ["app.3f9a1c2b.html", REVALIDATE],
    ["css/site.css", REVALIDATE],
    ["favicon.ico", REVALIDATE],
    ["report-20240115.pdf", REVALIDATE],
    ["js/app.3f9a1c2b.js", IMMUTABLE],
    ["chunk-a1b2c3d4e5.js", IMMUTABLE],
    ["assets/index-DiwrgTda.css", IMMUTABLE],
    ["_next/static/chunks/main.js", IMMUTABLE],
    ["_astro/page.css", IMMUTABLE],
    ["img/logo.Ab3dEf9h.png", IMMUTABLE],
  ])("%s → %s", (path, cache) => {
    expect(cacheControlFor(path, contentTypeFor(path))).toBe(cache);
  });

  it("does not freeze names that merely contain words or dates", () => {
    for (const path of ["deadbeef.js", "team-photos.jpg", "release-notes.txt", "v-12345678.js", "abcdefgh.css", "ABCDEFGH.css"]) {
      expect(isFingerprinted(path), path).toBe(false);
    }
  });
});
