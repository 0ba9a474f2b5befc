import { NotFoundError, SandboxError } from "./errors.ts";
import { accountId, bracedUuid } from "./ids.ts";
import { own, type SandboxState, type User } from "./state.ts";

/**
 * Users and their repository permissions. The default user ("sandbox-user", the one pushes
 * and Connect installs act as) is admin of every repository; every other user starts with no
 * access and gets exactly what `setRepoPermission` grants, as a workspace member whose access
 * is given per repository. Bitbucket's levels: read < write < admin.
 */

export type RepoPermission = "read" | "write" | "admin";

const RANK: Record<RepoPermission | "none", number> = { none: 0, read: 1, write: 2, admin: 3 };
const NICKNAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/** True when `held` is `needed` or better. */
export function atLeast(held: RepoPermission | "none", needed: RepoPermission): boolean {
  return RANK[held] >= RANK[needed];
}

export function permissionRank(permission: RepoPermission): number {
  return RANK[permission];
}

/** The default user first, then the others in creation order. */
export function listUsers(state: SandboxState): User[] {
  const others = Object.values(state.data.users ?? {}).filter((u) => u.nickname !== state.data.user.nickname);
  return [state.data.user, ...others];
}

export function findUser(state: SandboxState, nickname: string): User | undefined {
  if (nickname === state.data.user.nickname) return state.data.user;
  return own(state.data.users, nickname);
}

export function isDefaultUser(state: SandboxState, user: User): boolean {
  return user.nickname === state.data.user.nickname;
}

/** Creates a user, or returns the one with this nickname unchanged. */
export function createUser(state: SandboxState, nickname: string, displayName?: string): User {
  const existing = findUser(state, nickname);
  if (existing) return existing;
  if (!NICKNAME.test(nickname)) {
    throw new SandboxError("user.bad_nickname", `"${nickname}" is not a usable nickname: start with a letter, then letters, digits, ".", "-" or "_"`);
  }
  const user: User = { uuid: bracedUuid(), accountId: accountId(), displayName: displayName ?? nickname, nickname };
  state.data.users ??= {};
  state.data.users[nickname] = user;
  state.save();
  return user;
}

/** Grants `permission` on ws/repo to a user; "none" takes every explicit grant away. */
export function setRepoPermission(state: SandboxState, workspace: string, repo: string, nickname: string, permission: RepoPermission | "none"): void {
  if (!state.repo(workspace, repo)) throw new NotFoundError("repo.not_found", `no repository ${workspace}/${repo}`);
  const user = findUser(state, nickname);
  if (!user) throw new NotFoundError("user.not_found", `no user "${nickname}": create it first`);
  if (isDefaultUser(state, user)) {
    throw new SandboxError("user.default_is_admin", `${nickname} is admin of every repository; create another user to try narrower permissions`);
  }
  const key = `${workspace}/${repo}`;
  state.data.repoPermissions ??= {};
  const byUser = own(state.data.repoPermissions, key) ?? {};
  if (permission === "none") delete byUser[nickname];
  else byUser[nickname] = permission;
  state.data.repoPermissions[key] = byUser;
  state.save();
}

/** The user's effective permission on ws/repo ("none" for an unknown repository). */
export function permissionOf(state: SandboxState, user: User, workspace: string, repo: string): RepoPermission | "none" {
  if (!state.repo(workspace, repo)) return "none";
  if (isDefaultUser(state, user)) return "admin";
  return own(own(state.data.repoPermissions, `${workspace}/${repo}`), user.nickname) ?? "none";
}
