import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { ManifestFile } from "../../core/manifest.ts";
import type { BlobCache } from "./blob-cache.ts";
import { ifRangeAllows, parseByteRange, type ByteRange } from "./byte-range.ts";
import { chooseRepresentation, ifNoneMatchHits, type Representation } from "./negotiate.ts";

/**
 * Sends one manifest entry: headers from the manifest, conditional GET, an optional byte range
 * (byte-range.ts), then the blob: a small hot one from memory (blob-cache.ts), any other streamed
 * from S3 straight to the socket (decoded on the way when the client refuses gzip). A client
 * that accepts brotli gets the entry's brotli copy when the deployer made one (negotiate.ts). A blob larger
 * than the cache's file limit is never held whole in memory; backpressure from a slow client
 * pauses the S3 read.
 *
 * Storage errors before the first byte are thrown, so the caller can still answer 502/503.
 * After the headers are out, a failure can only cut the response short: the socket is
 * destroyed so the client sees an incomplete response, never a silently truncated "success".
 */

export type SendContext = { req: IncomingMessage; res: ServerResponse; s3: S3Client; bucket: string; cache?: BlobCache };

export type SendOutcome = { status: number; bytes?: Promise<void> };

export async function sendManifestFile(ctx: SendContext, file: ManifestFile, status: 200 | 404, siteHeaders: Record<string, string> = {}): Promise<SendOutcome> {
  const { req, res } = ctx;
  const rep = chooseRepresentation(file, req.headers["accept-encoding"]);
  const headers: Record<string, string> = {
    "Content-Type": file.contentType,
    // The site's 404 page must not be cached as if it were the page at this address.
    "Cache-Control": status === 200 ? file.cacheControl : "no-cache",
    "X-Content-Type-Options": "nosniff",
    // The repository's own headers (hoist.json) may override the defaults above, never framing
    // or encoding headers: the settings schema refuses those.
    ...siteHeaders,
  };
  if (rep.vary) headers.Vary = "Accept-Encoding";
  if (status === 200) headers.ETag = rep.etag;

  if (status === 200 && ifNoneMatchHits(req.headers["if-none-match"], rep.etag)) {
    const { "Content-Type": _type, ...kept } = headers;
    res.writeHead(304, kept);
    res.end();
    return { status: 304 };
  }
  headers["Content-Length"] = String(rep.contentLength);
  if (rep.contentEncoding) headers["Content-Encoding"] = rep.contentEncoding;
  if (!rep.vary) headers["Accept-Ranges"] = "bytes";
  const range = status === 200 ? requestedRange(req, rep) : undefined;
  if (range === "unsatisfiable") {
    res.writeHead(416, { ...headers, "Content-Range": `bytes */${rep.contentLength}`, "Content-Length": "0" });
    res.end();
    return { status: 416 };
  }
  const sentStatus = range ? 206 : status;
  if (range) {
    headers["Content-Range"] = `bytes ${range.start}-${range.end}/${rep.contentLength}`;
    headers["Content-Length"] = String(range.end - range.start + 1);
  }
  if (req.method === "HEAD") {
    res.writeHead(sentStatus, headers);
    res.end();
    return { status: sentStatus };
  }

  if (ctx.cache?.holds(rep.storedSize)) {
    // A hot blob from memory (blob-cache.ts): the same bytes S3 would stream, without touching S3.
    const body = rep.decode
      ? await ctx.cache.decoded(file.blobKey, file.storedSize, file.size)
      : await ctx.cache.get(rep.blobKey, rep.storedSize).then((stored) => (range ? stored.subarray(range.start, range.end + 1) : stored));
    res.writeHead(sentStatus, headers);
    res.end(body);
    return { status: sentStatus };
  }

  const out = await ctx.s3.send(
    new GetObjectCommand({ Bucket: ctx.bucket, Key: rep.blobKey, Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
  );
  const body = out.Body as Readable;
  res.writeHead(sentStatus, headers);
  const streams: NodeJS.ReadWriteStream[] = rep.decode ? [createGunzip()] : [];
  // pipeline destroys every stream on error or on the client going away, releasing the S3 socket.
  const bytes = pipeline([body, ...streams, res]);
  return { status: sentStatus, bytes };
}

/** The byte range to send, for representations that are the stored bytes themselves. */
function requestedRange(req: IncomingMessage, rep: Representation): ByteRange | "unsatisfiable" | undefined {
  if (rep.vary) return undefined;
  if (!ifRangeAllows(req.headers["if-range"] as string | undefined, rep.etag)) return undefined;
  return parseByteRange(req.headers.range, rep.contentLength);
}
