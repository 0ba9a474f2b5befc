import { request } from "node:http";

export type Reply = { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer };

/**
 * One HTTP request to a server on 127.0.0.1 with the Host header a browser would send for a site
 * (Node's fetch will not let a test set Host, and `*.localhost` need not resolve here).
 */
export function requestAsHost(input: { port: number | string; host: string; path: string; method?: string; headers?: Record<string, string> }): Promise<Reply> {
  return new Promise((done, fail) => {
    const req = request({ host: "127.0.0.1", port: input.port, path: input.path, method: input.method ?? "GET", headers: { host: input.host, ...input.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", fail);
    });
    req.on("error", fail);
    req.end();
  });
}
