import { request } from "node:http";

/**
 * GET a path of a site with exact bytes. Sites live at http://<repo>--<workspace>.localhost:<port>/;
 * Chromium resolves *.localhost to loopback but Node may not, so this connects to 127.0.0.1 and
 * names the site in the Host header, as a browser would.
 */
export type SiteResponse = { status: number; body: Buffer; headers: Record<string, string | string[] | undefined> };

export function siteHost(workspace: string, repo: string, sitesDomain: string): string {
  return `${repo}--${workspace}.${sitesDomain}`;
}

export function getSite(host: string, path = "/"): Promise<SiteResponse> {
  const port = host.split(":")[1] ?? "80";
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers: { host, "accept-encoding": "identity" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}
