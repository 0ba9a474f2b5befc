import type { SiteSettings } from "../../lambda/core/site-settings.ts";

/**
 * The add-on's view of a repository's settings file. The schema and parser live in
 * lambda/core/site-settings.ts (the deployer reads the same file); this module adds what only
 * the add-on needs: which branches deploy to stages.
 */
export { parseSiteSettings as parseHoistConfig, SETTINGS_FILES as CONFIG_FILES, type SiteSettings as HoistConfig } from "../../lambda/core/site-settings.ts";

/** True when `branch` matches one of the patterns ("*" matches any run of characters except "/"… and "**" anything). */
export function branchOptedIn(config: SiteSettings, branch: string): boolean {
  return (config.branches ?? []).some((pattern) => {
    const segmentPattern = (part: string) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*");
    const re = new RegExp(`^${pattern.split("**").map(segmentPattern).join(".*")}$`);
    return re.test(branch);
  });
}
