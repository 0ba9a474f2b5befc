import { HoistError } from "../../core/errors.ts";
import type { SiteRef } from "../../core/site.ts";
import { parseSiteSettings, SETTINGS_FILES, type SiteSettings } from "../../core/site-settings.ts";
import type { BitbucketClient, BitbucketCredentials } from "../bitbucket/client.ts";

export type SettingsRead = { ok: true; settings: SiteSettings; file?: string } | { ok: false; error: HoistError };

/**
 * A repository's Hoist settings at a commit, read from Bitbucket: the first of hoist.json /
 * hoist.yml / hoist.yaml; none means defaults. A file that cannot be read or parsed is an error
 * with its stable code (`config.invalid`, `fetch.*`), for the deploy to record.
 */
export async function readSiteSettings(bitbucket: BitbucketClient, creds: BitbucketCredentials, ref: SiteRef, commit: string): Promise<SettingsRead> {
  for (const file of SETTINGS_FILES) {
    let text: string | undefined;
    try {
      text = await bitbucket.readFile(creds, ref, commit, file);
    } catch (err) {
      if (err instanceof HoistError) return { ok: false, error: err };
      const status = (err as { status?: number }).status;
      if (status === 401 || status === 403) {
        return { ok: false, error: new HoistError("fetch.unauthorized", `Bitbucket refused Hoist's access to ${file} (${(err as Error).message}). Check that Hoist is still installed with repository access (or the access token still works), then push again.`) };
      }
      return { ok: false, error: new HoistError("fetch.failed", `Could not read ${file} from Bitbucket (${(err as Error).message}). Push again to retry.`) };
    }
    if (text === undefined) continue;
    try {
      return { ok: true, settings: parseSiteSettings(file, text), file };
    } catch (err) {
      if (err instanceof HoistError) return { ok: false, error: err };
      throw err;
    }
  }
  return { ok: true, settings: {} };
}
