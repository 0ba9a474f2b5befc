/**
 * Cache-Control per file, as Netlify and Cloudflare Pages do it, plus immutability for names
 * a bundler fingerprinted:
 *  - HTML and any name without a content hash: cached, but revalidated every time (ETag → 304),
 *    so a deploy is visible at once.
 *  - fingerprinted assets (`app.3f9a1c2b.js`, `index-DiwrgTda.css`, `_next/static/…`, `_astro/…`):
 *    a year, immutable — their name changes whenever their bytes do.
 */
export const REVALIDATE = "public, max-age=0, must-revalidate";
export const IMMUTABLE = "public, max-age=31536000, immutable";

const IMMUTABLE_FOLDERS = /(^|\/)(_next\/static|_astro|_app\/immutable)\//;
// Vite's default output: assets/<name>-<8 base64url chars>.<ext>
const VITE_ASSET = /(^|\/)assets\/[^/]+-[A-Za-z0-9_-]{8}\.[a-z0-9]+$/;
const HEX_HASH = /[.-]([0-9a-f]{8,64})[.-]/g;
const B64_HASH = /[.-]([A-Za-z0-9_]{8,12})\.[a-z0-9]+$/;

/**
 * True for names a bundler fingerprinted. False positives would freeze a changing file in
 * caches for a year, so the test errs towards "not fingerprinted": a hex token must mix digits
 * and letters, a base64 token must mix digits, upper and lower case.
 */
export function isFingerprinted(path: string): boolean {
  if (IMMUTABLE_FOLDERS.test(path) || VITE_ASSET.test(path)) return true;
  const name = path.slice(path.lastIndexOf("/") + 1);
  for (const m of `${name}.`.matchAll(HEX_HASH)) {
    if (/\d/.test(m[1]!) && /[a-f]/.test(m[1]!)) return true;
  }
  const token = B64_HASH.exec(name)?.[1];
  return token !== undefined && /\d/.test(token) && /[a-z]/.test(token) && /[A-Z]/.test(token);
}

export function cacheControlFor(path: string, contentType: string): string {
  if (contentType.startsWith("text/html")) return REVALIDATE;
  return isFingerprinted(path) ? IMMUTABLE : REVALIDATE;
}
