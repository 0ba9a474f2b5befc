import type { ManifestFile } from "../../core/manifest.ts";

/**
 * Content negotiation for one manifest entry: which representation to send, its ETag, and
 * whether the client's cached copy is still good.
 *
 * A gzip-stored entry has two or three representations — the stored gzip bytes, the decoded
 * original, and a brotli copy when the deployer made one — and each gets its own strong ETag, so
 * a cache never answers a client with an encoding it validated for another (RFC 9110 §8.8.3: an
 * ETag names one representation).
 */

export type Representation = {
  /** The blob to send (or decode), and its stored size. */
  blobKey: string;
  storedSize: number;
  /** Sent as Content-Encoding: the blob's bytes as stored. */
  contentEncoding?: "gzip" | "br";
  /** The stored gzip bytes decoded on the fly for a client that accepts neither gzip nor br. */
  decode: boolean;
  etag: string;
  contentLength: number;
  /** The response varies on Accept-Encoding (the entry exists in more than one encoding). */
  vary: boolean;
};

export function chooseRepresentation(file: ManifestFile, acceptEncoding: string | undefined): Representation {
  const primary = { blobKey: file.blobKey, storedSize: file.storedSize };
  if (file.contentEncoding !== "gzip") return { ...primary, decode: false, etag: `"${file.hash}"`, contentLength: file.storedSize, vary: false };
  const w = weights(acceptEncoding);
  const gzipQ = allowsGzip(w) ? (w.gzip ?? 1) : 0;
  // brotli only when named: a bare "*" keeps meaning gzip, which every client that sends it can decode.
  const brQ = file.br ? (w.br ?? 0) : 0;
  if (file.br && brQ > 0 && brQ >= gzipQ) {
    return { blobKey: file.br.blobKey, storedSize: file.br.storedSize, contentEncoding: "br", decode: false, etag: `"${file.hash}-br"`, contentLength: file.br.storedSize, vary: true };
  }
  if (gzipQ > 0) return { ...primary, contentEncoding: "gzip", decode: false, etag: `"${file.hash}-gz"`, contentLength: file.storedSize, vary: true };
  return { ...primary, decode: true, etag: `"${file.hash}"`, contentLength: file.size, vary: true };
}

/** Accept-Encoding's weights for the codings Hoist can send: each the highest q it is named with, `*` the last one's. */
type Weights = { gzip?: number; br?: number; any?: number };

function weights(header: string | undefined): Weights {
  const w: Weights = {};
  if (!header) return w;
  for (const part of header.split(",")) {
    const [name = "", ...params] = part.split(";").map((s) => s.trim().toLowerCase());
    const q = qValue(params);
    if (q === undefined) continue;
    if (name === "gzip" || name === "x-gzip") w.gzip = Math.max(w.gzip ?? 0, q);
    else if (name === "br") w.br = Math.max(w.br ?? 0, q);
    else if (name === "*") w.any = q;
  }
  return w;
}

/** Whether the weights allow gzip: an explicit gzip with q > 0, else `*` with q > 0. */
const allowsGzip = (w: Weights) => (w.gzip ?? w.any ?? 0) > 0;

/**
 * Whether Accept-Encoding allows gzip (RFC 9110 §12.5.3): an explicit `gzip` (or the legacy
 * `x-gzip`) with q > 0, else `*` with q > 0. No header means "no preference"; we then send
 * identity, which is what curl and other plain clients expect.
 */
export function acceptsGzip(header: string | undefined): boolean {
  return allowsGzip(weights(header));
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
