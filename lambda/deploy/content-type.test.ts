import { describe, expect, it } from "vitest";
import { contentTypeFor, shouldCompress } from "./content-type.ts";

describe("contentTypeFor", () => {
  it.each([
    ["index.html", "text/html; charset=utf-8"],
    ["js/app.js", "text/javascript; charset=utf-8"],
    ["js/mod.mjs", "text/javascript; charset=utf-8"],
    ["css/site.css", "text/css; charset=utf-8"],
    ["app.wasm", "application/wasm"],
    ["site.webmanifest", "application/manifest+json; charset=utf-8"],
    ["data.json", "application/json; charset=utf-8"],
    ["logo.svg", "image/svg+xml; charset=utf-8"],
    ["font.woff2", "font/woff2"],
    ["font.woff", "font/woff"],
    ["photo.PNG", "image/png"],
    ["movie.mp4", "video/mp4"],
    ["LICENSE", "application/octet-stream"],
    ["blob.qqqzz", "application/octet-stream"],
  ])("%s → %s", (path, type) => {
    expect(contentTypeFor(path)).toBe(type);
  });
});

describe("shouldCompress", () => {
  it.each(["index.html", "app.js", "mod.mjs", "site.css", "data.json", "logo.svg", "site.webmanifest", "app.wasm", "favicon.ico", "font.ttf", "feed.xml", "notes.txt"])("tries gzip for %s", (path) => {
    expect(shouldCompress(path, contentTypeFor(path))).toBe(true);
  });

  it.each(["photo.png", "photo.jpg", "font.woff2", "font.woff", "movie.mp4", "song.mp3", "bundle.zip", "data.gz", "app.js.br", "LICENSE", "doc.pdf"])("stores %s as it is", (path) => {
    expect(shouldCompress(path, contentTypeFor(path))).toBe(false);
  });
});
