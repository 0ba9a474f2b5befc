import type { ManifestFile } from "../../core/manifest.ts";

/**
 * Content negotiation for one manifest entry: which representation to send, its ETag, and
 * whether the client's cached copy is still good.
 *
 * A gzip-stored entry has two representations — the stored gzip bytes and the decoded
 * original — and each gets its own strong ETag, so a cache never answers a gzip-less client
 * with gzip bytes it validated earlier (RFC 9110 §8.8.3: an ETag names one representation).
 */

export type Representation = {
  /** Stored gzip bytes sent as-is with Content-Encoding: gzip. */
  gzip: boolean;
  /** Stored gzip bytes decoded on the fly for a client that does not accept gzip. */
  decode: boolean;
  etag: string;
  contentLength: number;
  /** The response varies on Accept-Encoding (the entry exists in more than one encoding). */
  vary: boolean;
};

export function chooseRepresentation(file: ManifestFile, acceptEncoding: string | undefined): Representation {
  const stored = file.contentEncoding === "gzip";
  if (!stored) return { gzip: false, decode: false, etag: `"${file.hash}"`, contentLength: file.storedSize, vary: false };
  if (acceptsGzip(acceptEncoding)) {
    return { gzip: true, decode: false, etag: `"${file.hash}-gz"`, contentLength: file.storedSize, vary: true };
  }
  return { gzip: false, decode: true, etag: `"${file.hash}"`, contentLength: file.size, vary: true };
}

/**
 * Whether Accept-Encoding allows gzip (RFC 9110 §12.5.3): an explicit `gzip` (or the legacy
 * `x-gzip`) with q > 0, else `*` with q > 0. No header means "no preference"; we then send
 * identity, which is what curl and other plain clients expect.
 */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  let gzip: number | undefined;
  let any: number | undefined;
  for (const part of header.split(",")) {
    const [name = "", ...params] = part.split(";").map((s) => s.trim().toLowerCase());
    const q = qValue(params);
    if (q === undefined) continue;
    if (name === "gzip" || name === "x-gzip") gzip = Math.max(gzip ?? 0, q);
    else if (name === "*") any = q;
  }
  return (gzip ?? any ?? 0) > 0;
}

/** The q parameter (default 1), or undefined when it is malformed so the entry is ignored. */
function qValue(params: string[]): number | undefined {
  const q = params.find((p) => p.startsWith("q="));
  if (q === undefined) return 1;
  const text = q.slice(2).trim();
  if (!/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(text)) return undefined;
  return Number(text);
}

/**
 * If-None-Match against our ETag, by weak comparison as RFC 9110 §13.1.2 requires: `W/` is
 * ignored on both sides (proxies that re-compress often weaken tags). `*` matches any
 * existing representation.
 */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  const opaque = etag.replace(/^W\//, "");
  for (const tag of header.match(/(?:W\/)?"[^"]*"/g) ?? []) {
    if (tag.replace(/^W\//, "") === opaque) return true;
  }
  return false;
}
