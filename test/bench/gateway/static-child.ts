import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import sirv from "sirv";

/**
 * The plain Node static server the gateway is compared with, in its own process: sirv serving
 * the bench site's folder from disk (production mode: the file list read once at start, each
 * response streamed from disk, ETags), with `gzip: true` so a client that accepts gzip gets the
 * precompressed `.gz` twin. argv[2] is the folder. Tells its parent its port (one IPC message).
 */

const dir = process.argv[2];
if (!dir) throw new Error("usage: static-child.ts <folder>");
const serve = sirv(dir, { gzip: true, etag: true, dev: false });
const server = createServer((req, res) =>
  serve(req, res, () => {
    res.statusCode = 404;
    res.end("not found");
  }),
);
server.listen(0, "127.0.0.1", () => process.send?.({ port: (server.address() as AddressInfo).port }));
process.on("disconnect", () => process.exit(0));
