import { z } from "zod";
import { parseSiteId, siteId as siteIdOf } from "../../core/site.ts";
import type { BitbucketClient, BitbucketCredentials } from "../bitbucket/client.ts";

/**
 * Who may see what on the dashboard comes from Bitbucket, not from Hoist: a user sees a site when
 * Bitbucket says they can read its repository (`/2.0/user/permissions/repositories`), may roll it
 * back or redeploy with write, and connect or disconnect it with admin. Answers are kept at most
 * CACHE_MS per user, so access lost in Bitbucket is lost in Hoist within that time.
 */

export type Permission = "read" | "write" | "admin";
const RANK: Record<Permission, number> = { read: 1, write: 2, admin: 3 };
export const CACHE_MS = 60_000;
const MAX_REPOSITORIES = 2000;

const PermissionEntry = z.object({
  permission: z.enum(["read", "write", "admin"]),
  repository: z.object({ full_name: z.string().min(3).max(300) }),
});

export function allows(have: Permission | undefined, need: Permission): boolean {
  return have !== undefined && RANK[have] >= RANK[need];
}

export class RepoAccess {
  private readonly cache = new Map<string, { at: number; sites: Promise<Map<string, Permission>> }>();
  private readonly single = new Map<string, { at: number; permission: Permission | undefined }>();

  constructor(
    private readonly bitbucket: BitbucketClient,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The user's permission on a site's repository, or undefined when Bitbucket gives none. A
   * repository missing from the cached list (made or shared since) is asked about on its own.
   */
  async permission(userUuid: string, creds: BitbucketCredentials, siteId: string): Promise<Permission | undefined> {
    const listed = (await this.readable(userUuid, creds)).get(siteId);
    if (listed) return listed;
    const key = `${userUuid} ${siteId}`;
    const hit = this.single.get(key);
    if (hit && this.now() - hit.at < CACHE_MS) return hit.permission;
    const q = encodeURIComponent(`repository.full_name="${siteId}"`);
    const [found] = await this.load(creds, `/2.0/user/permissions/repositories?q=${q}`);
    const permission = found?.[1];
    if (this.single.size > 10_000) this.single.clear();
    this.single.set(key, { at: this.now(), permission });
    return permission;
  }

  /** Every repository the user can read, by site id, with their permission. */
  readable(userUuid: string, creds: BitbucketCredentials): Promise<Map<string, Permission>> {
    const hit = this.cache.get(userUuid);
    if (hit && this.now() - hit.at < CACHE_MS) return hit.sites;
    const sites = this.load(creds, "/2.0/user/permissions/repositories?pagelen=100").then((entries) => new Map(entries));
    this.cache.set(userUuid, { at: this.now(), sites });
    sites.catch(() => this.cache.delete(userUuid));
    return sites;
  }

  /** After a change the user made (connecting a site), read Bitbucket again next time. */
  forget(userUuid: string): void {
    this.cache.delete(userUuid);
  }

  private async load(creds: BitbucketCredentials, path: string): Promise<[string, Permission][]> {
    const found: [string, Permission][] = [];
    for (const raw of await this.bitbucket.getAll<unknown>(creds, path, MAX_REPOSITORIES)) {
      const entry = PermissionEntry.safeParse(raw);
      if (!entry.success) continue;
      try {
        found.push([siteIdOf(parseSiteId(entry.data.repository.full_name)), entry.data.permission]);
      } catch {
        // not a name Hoist can host
      }
    }
    return found;
  }
}
