import { HoistError } from "../../lambda/core/errors.ts";
import type { BitbucketClient, BitbucketCredentials, RepoRef } from "../bitbucket/client.ts";
import { CONFIG_FILES, parseHoistConfig, type HoistConfig } from "./hoist-config.ts";

export type RepoConfigResult = { ok: true; config: HoistConfig; file?: string } | { ok: false; error: HoistError };

/** Reads the first of hoist.json / hoist.yml / hoist.yaml at the commit; none means defaults. */
export async function loadRepoConfig(bitbucket: BitbucketClient, inst: BitbucketCredentials, ref: RepoRef, commit: string): Promise<RepoConfigResult> {
  for (const file of CONFIG_FILES) {
    let text: string | undefined;
    try {
      text = await bitbucket.readFile(inst, ref, commit, file);
    } catch (err) {
      if (err instanceof HoistError) return { ok: false, error: err };
      return { ok: false, error: new HoistError("fetch.failed", `Could not read ${file} from Bitbucket (${(err as Error).message}). Push again to retry.`) };
    }
    if (text === undefined) continue;
    try {
      return { ok: true, config: parseHoistConfig(file, text), file };
    } catch (err) {
      if (err instanceof HoistError) return { ok: false, error: err };
      throw err;
    }
  }
  return { ok: true, config: {} };
}
