/**
 * A short hint per family of reason codes (`archive.*`, `limits.*`, `config.*`, `fetch.*`).
 * The server's message says what happened; the hint says where to look.
 */
const FAMILY_HINTS: Record<string, string> = {
  archive:
    "Hoist refused a file in the commit's archive. Remove or rename the path named above (symlinks, hard links, '..' segments and names that differ only by case are not served), then push again.",
  limits:
    "The site is over one of Hoist's size limits. Deploy only your built output (hoist.json \"directory\"), drop large assets, or ask for a higher limit.",
  config: "hoist.json at the repository root could not be used. Fix the field named above and push again.",
  fetch:
    "Hoist could not download the commit from Bitbucket. Check that the app is still installed with repository access, then redeploy.",
  deploy: "Something went wrong on Hoist's side. Redeploy; if it keeps failing, share the deploy id with your Hoist operator.",
  site: "Another repository already uses this site's address. Rename the repository or ask your Hoist operator.",
};

export function reasonHint(code: string | undefined): string | undefined {
  if (!code) return undefined;
  const family = code.split(".", 1)[0] ?? "";
  return Object.hasOwn(FAMILY_HINTS, family) ? FAMILY_HINTS[family] : undefined;
}
