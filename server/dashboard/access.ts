import { z } from "zod";
import { parseSiteId, siteId as siteIdOf } from "../../core/site.ts";
import { BitbucketError, type BitbucketClient, type BitbucketCredentials } from "../bitbucket/client.ts";

/**
 * Who may see what on the dashboard comes from Bitbucket, not from Hoist: a user sees a site when
 * Bitbucket says they can read its repository (`/2.0/user/permissions/repositories`), may roll it
 * back or redeploy with write, and connect or disconnect it with admin. Answers are kept at most
 * CACHE_MS per user, so access lost in Bitbucket is lost in Hoist within that time.
 *
 * Bitbucket Cloud is retiring its cross-workspace endpoints (CHANGE-2770): once the permissions
 * listing answers 410 Gone (or 404), the same answer is built per workspace instead — the user's
 * workspaces (`/2.0/user/workspaces`), then each workspace's repositories filtered by the user's
 * role (`/2.0/repositories/{ws}?role=member|contributor|admin` → read|write|admin).
 * docs/architecture.md, "Who sees what".
 */

export type Permission = "read" | "write" | "admin";
const RANK: Record<Permission, number> = { read: 1, write: 2, admin: 3 };
export const CACHE_MS = 60_000;
const MAX_REPOSITORIES = 2000;

const ROLES: [role: string, permission: Permission][] = [
  ["member", "read"],
  ["contributor", "write"],
  ["admin", "admin"],
];

const WorkspaceEntry = z.object({ workspace: z.object({ slug: z.string().min(1).max(100) }) });
const RepositoryEntry = z.object({ full_name: z.string().min(3).max(300) });
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
  /** Set once Bitbucket says the cross-workspace permissions listing is gone; then ask per workspace. */
  private crossWorkspaceGone = false;

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
    const [found] = await this.list(creds, siteId);
    const permission = found?.[1];
    if (this.single.size > 10_000) this.single.clear();
    this.single.set(key, { at: this.now(), permission });
    return permission;
  }

  /** Every repository the user can read, by site id, with their permission. */
  readable(userUuid: string, creds: BitbucketCredentials): Promise<Map<string, Permission>> {
    const hit = this.cache.get(userUuid);
    if (hit && this.now() - hit.at < CACHE_MS) return hit.sites;
    const sites = this.list(creds).then((entries) => new Map(entries));
    this.cache.set(userUuid, { at: this.now(), sites });
    sites.catch(() => this.cache.delete(userUuid));
    return sites;
  }

  /** After a change the user made (connecting a site), read Bitbucket again next time. */
  forget(userUuid: string): void {
    this.cache.delete(userUuid);
  }

  /** The user's repositories with their permission: every one, or only `siteId`. */
  private async list(creds: BitbucketCredentials, siteId?: string): Promise<[string, Permission][]> {
    if (!this.crossWorkspaceGone) {
      const q = siteId ? `q=${encodeURIComponent(`repository.full_name="${siteId}"`)}` : "pagelen=100";
      try {
        const entries = await this.bitbucket.getAll<unknown>(creds, `/2.0/user/permissions/repositories?${q}`, MAX_REPOSITORIES);
        return entries.flatMap((raw) => {
          const entry = PermissionEntry.safeParse(raw);
          return entry.success ? hostable(entry.data.repository.full_name, entry.data.permission) : [];
        });
      } catch (err) {
        if (!(err instanceof BitbucketError && (err.status === 410 || err.status === 404))) throw err;
        this.crossWorkspaceGone = true;
      }
    }
    return this.listPerWorkspace(creds, siteId);
  }

  /** The same answer from per-workspace calls: a repository's permission is the highest role it is listed under. */
  private async listPerWorkspace(creds: BitbucketCredentials, siteId?: string): Promise<[string, Permission][]> {
    const only = siteId ? parseSiteId(siteId) : undefined;
    const workspaces = only
      ? [only.workspace]
      : (await this.bitbucket.getAll<unknown>(creds, "/2.0/user/workspaces?pagelen=100", MAX_REPOSITORIES)).flatMap((raw) => {
          const entry = WorkspaceEntry.safeParse(raw);
          return entry.success ? [entry.data.workspace.slug] : [];
        });
    const found = new Map<string, Permission>();
    for (const workspace of workspaces) {
      for (const [role, permission] of ROLES) {
        const q = only ? `&q=${encodeURIComponent(`full_name="${siteId}"`)}` : "";
        let entries: unknown[];
        try {
          entries = await this.bitbucket.getAll<unknown>(creds, `/2.0/repositories/${encodeURIComponent(workspace)}?role=${role}&pagelen=100${q}`, MAX_REPOSITORIES);
        } catch (err) {
          // A workspace the user cannot see at all: nothing there for them.
          if (err instanceof BitbucketError && (err.status === 403 || err.status === 404)) break;
          throw err;
        }
        for (const raw of entries) {
          const entry = RepositoryEntry.safeParse(raw);
          for (const [id, p] of entry.success ? hostable(entry.data.full_name, permission) : []) found.set(id, p);
        }
        if (found.size >= MAX_REPOSITORIES) return [...found];
      }
    }
    return [...found];
  }
}

/** [site id, permission] for a repository Hoist can host, or nothing for a name it cannot. */
function hostable(fullName: string, permission: Permission): [string, Permission][] {
  try {
    return [[siteIdOf(parseSiteId(fullName)), permission]];
  } catch {
    return [];
  }
}
