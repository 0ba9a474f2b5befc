import type { CommitInfo } from "./git.ts";
import type { RepoWebhook } from "./repo-webhooks.ts";
import type { BuildStatus, Repo, User, Workspace } from "./state.ts";
import type { RepoPermission } from "./users.ts";

/** JSON shapes of Bitbucket Cloud's 2.0 API, trimmed to what add-ons read. */

const href = (url: string) => ({ href: url });

export function userJson(origin: string, user: User) {
  return {
    type: "user",
    uuid: user.uuid,
    account_id: user.accountId,
    display_name: user.displayName,
    nickname: user.nickname,
    links: {
      self: href(`${origin}/2.0/users/${encodeURIComponent(user.uuid)}`),
      html: href(`${origin}/`),
      avatar: href(avatarUrl(origin, user)),
    },
  };
}

/** Served by avatar.ts, so a dashboard's <img> shows something. */
export function avatarUrl(origin: string, user: Pick<User, "nickname">): string {
  return `${origin}/account/${encodeURIComponent(user.nickname)}/avatar.svg`;
}

export function workspaceJson(origin: string, ws: Workspace) {
  return {
    type: "workspace",
    uuid: ws.uuid,
    slug: ws.slug,
    name: ws.name,
    links: { self: href(`${origin}/2.0/workspaces/${ws.slug}`), html: href(`${origin}/${ws.slug}/`) },
  };
}

export function repositoryJson(origin: string, repo: Repo, ws: Workspace) {
  const fullName = `${repo.workspace}/${repo.slug}`;
  return {
    type: "repository",
    uuid: repo.uuid,
    name: repo.name,
    slug: repo.slug,
    full_name: fullName,
    scm: "git",
    is_private: true,
    description: "",
    language: "",
    created_on: repo.createdOn,
    workspace: workspaceJson(origin, ws),
    owner: { type: "team", uuid: ws.uuid, username: ws.slug, display_name: ws.name },
    mainbranch: { type: "branch", name: repo.mainbranch },
    links: {
      self: href(`${origin}/2.0/repositories/${fullName}`),
      html: href(`${origin}/${fullName}`),
      clone: [{ name: "https", href: `${origin}/${fullName}.git` }],
    },
  };
}

/** The short repository object Bitbucket nests in permissions and webhook subscriptions. */
export function repositorySummaryJson(origin: string, repo: Repo) {
  const fullName = `${repo.workspace}/${repo.slug}`;
  return {
    type: "repository",
    full_name: fullName,
    name: repo.name,
    uuid: repo.uuid,
    links: { self: href(`${origin}/2.0/repositories/${fullName}`), html: href(`${origin}/${fullName}`) },
  };
}

export function repositoryPermissionJson(origin: string, user: User, repo: Repo, permission: RepoPermission) {
  return { type: "repository_permission", permission, user: userJson(origin, user), repository: repositorySummaryJson(origin, repo) };
}

export function workspaceAccessJson(origin: string, ws: Workspace, administrator: boolean) {
  return { type: "workspace_access", administrator, workspace: workspaceJson(origin, ws) };
}

/** A webhook subscription; the secret itself is never shown, only whether there is one. */
export function webhookJson(origin: string, repo: Repo, hook: RepoWebhook) {
  return {
    type: "webhook_subscription",
    uuid: hook.uuid,
    url: hook.url,
    description: hook.description ?? "",
    subject_type: "repository",
    subject: repositorySummaryJson(origin, repo),
    active: hook.active !== false,
    events: hook.events,
    created_at: hook.createdAt,
    secret_set: Boolean(hook.secret),
    links: { self: href(`${origin}/2.0/repositories/${repo.workspace}/${repo.slug}/hooks/${encodeURIComponent(hook.uuid)}`) },
  };
}

export function commitJson(origin: string, repo: Repo, commit: CommitInfo) {
  const fullName = `${repo.workspace}/${repo.slug}`;
  return {
    type: "commit",
    hash: commit.hash,
    message: commit.message,
    date: commit.date,
    author: { type: "author", raw: `${commit.authorName} <${commit.authorEmail}>` },
    parents: commit.parents.map((hash) => ({ type: "commit", hash })),
    links: {
      self: href(`${origin}/2.0/repositories/${fullName}/commit/${commit.hash}`),
      html: href(`${origin}/${fullName}/commits/${commit.hash}`),
    },
  };
}

export function buildStatusJson(origin: string, repo: Repo, status: BuildStatus) {
  const base = `${origin}/2.0/repositories/${repo.workspace}/${repo.slug}/commit/${status.commit}`;
  return {
    type: "build",
    key: status.key,
    state: status.state,
    name: status.name,
    description: status.description,
    url: status.url,
    refname: status.refname,
    created_on: status.createdOn,
    updated_on: status.updatedOn,
    commit: { type: "commit", hash: status.commit, links: { self: href(base) } },
    links: {
      self: href(`${base}/statuses/build/${encodeURIComponent(status.key)}`),
      commit: href(base),
    },
  };
}
