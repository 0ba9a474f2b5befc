import { spawn } from "node:child_process";
import type { Request, Response } from "express";
import type { Logger } from "pino";

export interface CgiRequest {
  projectRoot: string;
  pathInfo: string; // "/ws/repo.git/info/refs"
  req: Request;
  res: Response;
  log: Logger;
}

/**
 * Serves one smart-HTTP request by running `git http-backend` as a CGI program.
 * The request body streams into git and git's answer streams out: a push or clone
 * of any size never sits in memory. Gzip'd bodies (git sends them for large
 * fetch negotiations) are passed through with HTTP_CONTENT_ENCODING, which
 * http-backend inflates itself. Resolves once git has exited.
 */
export function runHttpBackend({ projectRoot, pathInfo, req, res, log }: CgiRequest): Promise<number | null> {
  const query = req.originalUrl.includes("?") ? req.originalUrl.slice(req.originalUrl.indexOf("?") + 1) : "";
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GIT_PROJECT_ROOT: projectRoot,
    GIT_HTTP_EXPORT_ALL: "1",
    PATH_INFO: pathInfo,
    REQUEST_METHOD: req.method,
    QUERY_STRING: query,
    CONTENT_TYPE: req.headers["content-type"] ?? "",
    REMOTE_USER: "sandbox-user",
    REMOTE_ADDR: req.socket.remoteAddress ?? "127.0.0.1",
    GATEWAY_INTERFACE: "CGI/1.1",
    SERVER_PROTOCOL: "HTTP/1.1",
  };
  if (req.headers["content-length"]) env.CONTENT_LENGTH = req.headers["content-length"];
  if (req.headers["content-encoding"]) env.HTTP_CONTENT_ENCODING = req.headers["content-encoding"];
  if (req.headers["git-protocol"]) env.GIT_PROTOCOL = String(req.headers["git-protocol"]);

  const child = spawn("git", ["http-backend"], { env, stdio: ["pipe", "pipe", "pipe"] });
  req.pipe(child.stdin);
  child.stdin.on("error", () => {}); // git may exit before reading everything (e.g. a 404)
  child.stderr.on("data", (chunk: Buffer) => log.debug({ stderr: chunk.toString().trim() }, "git http-backend"));
  res.on("close", () => {
    if (!res.writableFinished) child.kill("SIGTERM"); // client went away mid-transfer
  });
  pipeCgiResponse(child.stdout, res);
  return new Promise((resolve) => child.on("close", (code) => resolve(code)));
}

/** Splits CGI output into a status line + headers and a body streamed to the client. */
function pipeCgiResponse(stdout: NodeJS.ReadableStream, res: Response): void {
  let head = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    const end = headerEnd(head);
    if (end === -1 && head.length > 64 * 1024) {
      stdout.removeListener("data", onData);
      return void res.status(502).end("git http-backend sent no CGI header end");
    }
    if (end === -1) return;
    stdout.removeListener("data", onData);
    const { status, headers } = parseCgiHeaders(head.subarray(0, end).toString("latin1"));
    res.writeHead(status, headers);
    const rest = head.subarray(end + separatorLength(head, end));
    if (rest.length > 0) res.write(rest);
    stdout.pipe(res);
  };
  stdout.on("data", onData);
  stdout.on("end", () => {
    if (!res.headersSent) res.status(502).end("git http-backend produced no response");
  });
}

function headerEnd(buf: Buffer): number {
  const crlf = buf.indexOf("\r\n\r\n");
  const lf = buf.indexOf("\n\n");
  if (crlf === -1) return lf;
  if (lf === -1) return crlf;
  return Math.min(crlf, lf);
}

function separatorLength(buf: Buffer, end: number): number {
  return buf.subarray(end, end + 4).toString() === "\r\n\r\n" ? 4 : 2;
}

function parseCgiHeaders(text: string): { status: number; headers: Record<string, string> } {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === "status") status = Number.parseInt(value, 10) || 500;
    else headers[name] = value;
  }
  return { status, headers };
}
