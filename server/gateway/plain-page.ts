import type { ServerResponse } from "node:http";

/**
 * The gateway's own pages: unknown site, bad path, wrong method, storage trouble. Deliberately
 * plain — no site's content, no stack trace, nothing from storage — so a visitor of a broken or
 * missing site never sees another site's files or Hoist's internals. Errors carry the request id
 * so a person reporting one can be matched to the log line.
 */

export type PlainPage = { status: number; title: string; message: string; headers?: Record<string, string> };

export const pages = {
  unknownSite: (host: string): PlainPage => ({
    status: 404,
    title: "Site not found",
    message: `No site is published at ${host}. Check the address; a site appears here after its first successful deploy.`,
  }),
  fileNotFound: (): PlainPage => ({
    status: 404,
    title: "Page not found",
    message: "This site has no page at this address. Add a 404.html to the site to show your own page here.",
  }),
  badPath: (reason: string): PlainPage => ({
    status: 400,
    title: "Bad request",
    message: `This address cannot name a file: ${reason}.`,
  }),
  methodNotAllowed: (): PlainPage => ({
    status: 405,
    title: "Method not allowed",
    message: "Static sites answer GET and HEAD only.",
    headers: { Allow: "GET, HEAD" },
  }),
  storageFailed: (status: 502 | 503): PlainPage => ({
    status,
    title: status === 503 ? "Temporarily unavailable" : "Bad gateway",
    message: "The site's storage did not answer as expected. Try again in a moment.",
    headers: status === 503 ? { "Retry-After": "1" } : undefined,
  }),
};

export function sendPlainPage(res: ServerResponse, page: PlainPage, requestId: string, head = false): void {
  const body = Buffer.from(render(page, requestId), "utf8");
  res.writeHead(page.status, {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Length": String(body.length),
    // A missing site may be deployed a second later; nothing here should be cached.
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    ...page.headers,
  });
  res.end(head ? undefined : body);
}

function render(page: PlainPage, requestId: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${page.status} ${escapeHtml(page.title)}</title></head>
<body style="font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#172b4d">
<h1>${escapeHtml(page.title)}</h1>
<p>${escapeHtml(page.message)}</p>
<p style="color:#6b778c;font-size:.875rem">Request id: ${escapeHtml(requestId)}</p>
</body></html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
