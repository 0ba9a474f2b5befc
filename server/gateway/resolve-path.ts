import type { ManifestFile } from "../../core/manifest.ts";
import { encodePath, type RequestPath } from "./request-path.ts";

/**
 * Which manifest entry answers a request path, following what users of Netlify and Cloudflare
 * Pages expect:
 *   /                  → index.html
 *   /docs/             → docs/index.html
 *   /docs              → the file "docs" if there is one, else 301 to /docs/ when docs/index.html
 *                        exists (so relative links inside the page resolve under /docs/),
 *                        else docs.html ("pretty URLs")
 *   /about/            → 301 to /about when only about.html exists
 *   anything else      → the site's 404 page with status 404 (manifest.notFound, else 404.html)
 */

export type ServedFiles = {
  files: ReadonlyMap<string, ManifestFile>;
  notFound?: string;
};

export type Resolution =
  | { kind: "file"; key: string; file: ManifestFile }
  | { kind: "redirect"; location: string }
  | { kind: "not_found"; page?: { key: string; file: ManifestFile } };

export function resolvePath(site: ServedFiles, path: RequestPath): Resolution {
  const joined = path.segments.join("/");
  const found = (key: string): Resolution | undefined => {
    const file = site.files.get(key);
    return file ? { kind: "file", key, file } : undefined;
  };
  if (joined === "") return found("index.html") ?? notFound(site);
  if (path.trailingSlash) {
    return (
      found(`${joined}/index.html`) ??
      (site.files.has(`${joined}.html`) ? redirect(path, false) : undefined) ??
      notFound(site)
    );
  }
  return (
    found(joined) ??
    (site.files.has(`${joined}/index.html`) ? redirect(path, true) : undefined) ??
    found(`${joined}.html`) ??
    notFound(site)
  );
}

function redirect(path: RequestPath, trailingSlash: boolean): Resolution {
  // Built from the parsed segments, never the raw target: "//evil.example" must not become a
  // protocol-relative Location that leaves the site.
  return { kind: "redirect", location: encodePath(path.segments, trailingSlash) + path.query };
}

function notFound(site: ServedFiles): Resolution {
  for (const key of [site.notFound, "404.html"]) {
    const file = key === undefined ? undefined : site.files.get(key);
    if (key !== undefined && file) return { kind: "not_found", page: { key, file } };
  }
  return { kind: "not_found" };
}
