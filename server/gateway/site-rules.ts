import type { Manifest } from "../../core/manifest.ts";

/**
 * The repository's own rules (hoist.json `headers` and `redirects`), with the pattern language
 * Netlify and Cloudflare Pages users know:
 *   "/blog/post"     exact path
 *   "/blog/*"        a prefix; the rest is available to `to` as ":splat"
 *   "/:lang/about"   a named segment, reusable in `to` as ":lang"
 * Redirects apply only when no file answers the path (Netlify's "shadowing"), so a
 * `/* → /index.html 200` single-page-app fallback never hides real assets.
 */

export type SiteRules = { headers: NonNullable<Manifest["headers"]>; redirects: NonNullable<Manifest["redirects"]> };

export type RedirectMatch = { status: number; to: string };

/** Returns the named parts of `path` matched by `pattern`, or undefined. */
export function matchPattern(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split("/");
  const have = path.split("/");
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const part = want[i]!;
    if (part === "*" && i === want.length - 1) {
      params.splat = have.slice(i).join("/");
      return params;
    }
    const got = have[i];
    if (got === undefined) return undefined;
    if (part.startsWith(":") && part.length > 1 && got !== "") params[part.slice(1)] = got;
    else if (part !== got) return undefined;
  }
  return have.length === want.length ? params : undefined;
}

export function headersFor(rules: SiteRules, path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rule of rules.headers) {
    if (matchPattern(rule.path, path)) Object.assign(out, rule.values);
  }
  return out;
}

export function redirectFor(rules: SiteRules, path: string): RedirectMatch | undefined {
  for (const rule of rules.redirects) {
    const params = matchPattern(rule.from, path);
    if (!params) continue;
    const to = rule.to.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (whole, name: string) => {
      const value = params[name];
      // Only path-safe text is substituted: a splat cannot smuggle a scheme or a second host.
      return value === undefined ? whole : value.split("/").map(encodeURIComponent).join("/");
    });
    // A path target must stay a path: "//host" would be read by browsers as another site.
    return { status: rule.status, to: to.startsWith("//") ? to.replace(/^\/+/, "/") : to };
  }
  return undefined;
}
