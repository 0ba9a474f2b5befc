/**
 * The request target, parsed into the path a manifest can answer. Manifest keys are site-relative
 * paths ("index.html", "css/a.css"); this module turns "/css/a.css?v=1" into ["css", "a.css"].
 *
 * Manifests are looked up by key, never on a file system, so a ".." could not escape the site.
 * It is still refused (400) rather than resolved: a path that only an attacker or a broken client
 * sends should get a clear answer, not some other file.
 */

export type RequestPath = {
  /** Decoded, non-empty segments; repeated slashes collapse as on most web servers. */
  segments: string[];
  /** "/docs/" rather than "/docs": asks for a directory. */
  trailingSlash: boolean;
  /** The raw query including its "?", or "" — carried over by redirects. */
  query: string;
};

export type RequestPathResult = { ok: true; path: RequestPath } | { ok: false; reason: string };

export function parseRequestPath(target: string): RequestPathResult {
  // Absolute-form ("http://host/x") and "*" targets are proxy requests; a site never needs them.
  if (!target.startsWith("/")) return { ok: false, reason: "the request target must be a path starting with /" };
  const q = target.indexOf("?");
  const rawPath = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? "" : target.slice(q);
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { ok: false, reason: "the path has malformed percent-encoding" };
  }
  if (decoded.includes("\0")) return { ok: false, reason: "the path contains a NUL byte" };
  // Some servers treat "\" as "/"; refusing it keeps "..\\" tricks from meaning anything here or upstream.
  if (decoded.includes("\\")) return { ok: false, reason: "the path contains a backslash" };
  // Manifest keys are NFC (the deployer normalises names), so a macOS-typed NFD URL still matches.
  const segments = decoded.normalize("NFC").split("/").filter((s) => s !== "");
  if (segments.some((s) => s === "." || s === "..")) return { ok: false, reason: "the path contains a '.' or '..' segment" };
  return { ok: true, path: { segments, trailingSlash: decoded.endsWith("/") && segments.length > 0, query } };
}

/** The URL path for segments, each percent-encoded, always starting with exactly one "/". */
export function encodePath(segments: readonly string[], trailingSlash: boolean): string {
  const body = segments.map(encodeURIComponent).join("/");
  if (body === "") return "/";
  return `/${body}${trailingSlash ? "/" : ""}`;
}
