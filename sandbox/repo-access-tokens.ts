import { NotFoundError } from "./errors.ts";
import { randomSecret } from "./ids.ts";
import type { SandboxState } from "./state.ts";

/**
 * Repository access tokens, as Bitbucket Cloud issues them in Repository settings → Access tokens:
 * tied to ONE repository, scoped (`repository` = read, `repository:write` = write), no expiry,
 * used as `Authorization: Bearer <token>`. What apps without Connect (plain webhooks) use to
 * download archives and post build statuses. Persisted in state.json (owner-only) like secrets.
 */

export type RepoTokenScope = "repository" | "repository:write";

export interface RepoAccessToken {
  workspace: string;
  repo: string;
  scopes: RepoTokenScope[];
  createdAt: string;
}

export function createRepoAccessToken(state: SandboxState, workspace: string, repo: string, scopes: RepoTokenScope[] = ["repository", "repository:write"]): string {
  if (!state.repo(workspace, repo)) throw new NotFoundError("repo.not_found", `no repository ${workspace}/${repo}`);
  const token = randomSecret();
  state.data.repoAccessTokens ??= {};
  state.data.repoAccessTokens[token] = { workspace, repo, scopes: [...new Set(scopes)], createdAt: new Date().toISOString() };
  state.save();
  return token;
}

/** True when `token` is a repository access token for ws/repo carrying `scope` (write implies read, as in Bitbucket). */
export function repoTokenAllows(state: SandboxState, token: string, workspace: string, repo: string, scope: RepoTokenScope): boolean {
  const grant = state.data.repoAccessTokens?.[token];
  if (!grant || grant.workspace !== workspace || grant.repo !== repo) return false;
  return grant.scopes.includes(scope) || (scope === "repository" && grant.scopes.includes("repository:write"));
}
