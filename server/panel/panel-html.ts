import { readFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * dist/web/index.html with the two tags the panel bootstraps from, inserted right after <head>:
 *   <meta name="hoist-token" content="…">   <meta name="hoist-context" content='{…}'>
 * Every value is attribute-escaped; the context is JSON (so a repository name cannot close the
 * attribute or the tag). The built file is read once and kept.
 */

export type PanelContext =
  | { workspace: string; repo: string; view: "panel" | "page"; mainBranch?: string; allDeploysUrl?: string; hostBaseUrl?: string }
  /** The dashboard: top-level, signed in with Bitbucket; no token in the page. */
  | { view: "dashboard" };

export function escapeAttribute(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/'/g, "&#39;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function injectPanelTags(html: string, token: string, context: PanelContext): string {
  const tags =
    (token ? `\n    <meta name="hoist-token" content="${escapeAttribute(token)}">` : "") +
    `\n    <meta name="hoist-context" content='${escapeAttribute(JSON.stringify(context))}'>`;
  const at = html.search(/<head[^>]*>/i);
  if (at < 0) throw new Error("dist/web/index.html has no <head>");
  const end = html.indexOf(">", at) + 1;
  return html.slice(0, end) + tags + html.slice(end);
}

export class PanelHtml {
  private cached?: string;

  constructor(readonly webDir: string) {}

  /** The built index.html, or undefined when the panel has not been built. */
  async template(): Promise<string | undefined> {
    if (this.cached) return this.cached;
    try {
      this.cached = await readFile(join(this.webDir, "index.html"), "utf8");
      return this.cached;
    } catch {
      return undefined;
    }
  }
}
