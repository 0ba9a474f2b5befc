/**
 * Single byte ranges (RFC 9110 §14), for files stored as-is: video and audio players (Safari's
 * above all) will not play an MP4 from a server that ignores Range. Multi-range requests are
 * answered with the whole file, which the RFC allows and which spares us multipart bodies.
 * Gzip-stored entries never take ranges: a range over bytes we decode on the fly cannot be
 * fetched from S3 without reading everything before it.
 */

export type ByteRange = { start: number; end: number };

/** The range to send, "unsatisfiable" for a 416, or undefined to send the whole file. */
export function parseByteRange(header: string | undefined, size: number): ByteRange | "unsatisfiable" | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  const [first, last] = [m[1] ?? "", m[2] ?? ""];
  if (first === "") {
    // "bytes=-N": the last N bytes.
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return "unsatisfiable";
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (end < start) return undefined;
  return { start, end };
}

/**
 * If-Range: the range applies only while the client's copy is current. Only a strong ETag
 * match counts (RFC 9110 §13.1.5); a date never matches because we send no Last-Modified.
 */
export function ifRangeAllows(header: string | undefined, etag: string): boolean {
  if (header === undefined) return true;
  return header.trim() === etag;
}
