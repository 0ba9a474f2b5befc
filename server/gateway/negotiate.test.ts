import { describe, expect, it } from "vitest";
import type { ManifestFile } from "../../core/manifest.ts";
import { acceptsGzip, chooseRepresentation, ifNoneMatchHits } from "./negotiate.ts";

const hash = "a".repeat(64);
const gz: ManifestFile = {
  hash,
  size: 1000,
  storedSize: 300,
  contentType: "text/html; charset=utf-8",
  contentEncoding: "gzip",
  cacheControl: "no-cache",
  blobKey: "k.gz",
};
const raw: ManifestFile = { ...gz, contentEncoding: undefined, size: 500, storedSize: 500, contentType: "image/png", blobKey: "k" };

describe("acceptsGzip", () => {
  it.each([
    ["gzip, deflate, br", true],
    ["br;q=1.0, gzip;q=0.8, *;q=0.1", true],
    ["GZIP", true],
    ["x-gzip", true],
    ["*", true],
    ["gzip;q=0", false],
    ["gzip;q=0.000", false],
    ["*;q=0.5, gzip;q=0", false],
    ["gzip;q=0, *", false],
    ["br, deflate", false],
    ["identity", false],
    ["", false],
    [undefined, false],
    ["gzip;q=banana", false],
  ])("%s → %s", (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });
});

describe("chooseRepresentation", () => {
  const gzip = { blobKey: "k.gz", storedSize: 300 };
  const br = { blobKey: "k.br", storedSize: 250 };
  const withBr: ManifestFile = { ...gz, br };

  it("sends stored gzip as-is to a gzip client, with its own ETag and stored length", () => {
    expect(chooseRepresentation(gz, "gzip")).toEqual({ ...gzip, contentEncoding: "gzip", decode: false, etag: `"${hash}-gz"`, contentLength: 300, vary: true });
  });

  it("decodes stored gzip for other clients, with the original's ETag and length", () => {
    expect(chooseRepresentation(gz, "br")).toEqual({ ...gzip, decode: true, etag: `"${hash}"`, contentLength: 1000, vary: true });
  });

  it("sends identity-stored files the same way to everyone, without Vary", () => {
    expect(chooseRepresentation(raw, "gzip, br")).toEqual({ blobKey: "k", storedSize: 500, decode: false, etag: `"${hash}"`, contentLength: 500, vary: false });
  });

  it("sends the brotli copy, with its own ETag and length, to a client that names br", () => {
    const sent = { ...br, contentEncoding: "br", decode: false, etag: `"${hash}-br"`, contentLength: 250, vary: true };
    expect(chooseRepresentation(withBr, "gzip, deflate, br, zstd")).toEqual(sent);
    expect(chooseRepresentation(withBr, "br")).toEqual(sent);
    expect(chooseRepresentation(withBr, "gzip;q=0.5, br;q=0.5")).toEqual(sent);
  });

  it.each([
    ["gzip", "gzip"],
    ["gzip, br;q=0", "gzip"],
    ["gzip;q=1, br;q=0.5", "gzip"],
    ["*", "gzip"],
    ["br;q=banana, gzip", "gzip"],
    ["identity", undefined],
    [undefined, undefined],
  ])("a brotli copy is not sent for %s (sends %s)", (header, encoding) => {
    const rep = chooseRepresentation(withBr, header);
    expect(rep.contentEncoding).toBe(encoding);
    expect(rep.etag).not.toContain("-br");
  });
});
describe("ifNoneMatchHits", () => {
  const etag = `"${hash}-gz"`;
  it.each([
    [etag, true],
    [`W/${etag}`, true],
    [`"other", ${etag}`, true],
    ["*", true],
    [`"${hash}"`, false],
    ['"x,y"', false],
    ["", false],
    [undefined, false],
  ])("%s → %s", (header, expected) => {
    expect(ifNoneMatchHits(header, etag)).toBe(expected);
  });
});
