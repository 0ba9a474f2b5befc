import { execFile } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { SandboxError } from "./errors.ts";
import { bracedUuid } from "./ids.ts";
import type { Repo, SandboxState, Workspace } from "./state.ts";

const run = promisify(execFile);

// Slugs become URL segments and directory names: keep them to Bitbucket's
// alphabet, and keep the sandbox's own top-level routes out of reach.
const WORKSPACE_SLUG = /^[a-z0-9][a-z0-9_-]{0,61}$/;
const REPO_SLUG = /^[a-z0-9][a-z0-9_.-]{0,61}$/;
const RESERVED = new Set(["site", "atlassian-connect", "account", "repositories"]);

export function reposRoot(dataDir: string): string {
  return join(dataDir, "repos");
}

export function gitDirOf(dataDir: string, repo: Pick<Repo, "workspace" | "slug">): string {
  return join(reposRoot(dataDir), repo.workspace, `${repo.slug}.git`);
}

export function createWorkspace(state: SandboxState, slug: string, name?: string): Workspace {
  if (!WORKSPACE_SLUG.test(slug) || RESERVED.has(slug)) {
    throw new SandboxError("workspace.bad_slug", `"${slug}" is not a usable workspace slug: use a-z, 0-9, "-" or "_"`);
  }
  const existing = state.data.workspaces[slug];
  if (existing) return existing;
  const workspace = { slug, uuid: bracedUuid(), name: name ?? slug };
  state.data.workspaces[slug] = workspace;
  state.save();
  return workspace;
}

/** Creates (or returns) a bare repository whose default branch is "main". */
export async function createRepo(state: SandboxState, workspace: string, slug: string): Promise<Repo> {
  if (!REPO_SLUG.test(slug) || slug.endsWith(".git")) {
    throw new SandboxError("repo.bad_slug", `"${slug}" is not a usable repository slug: use a-z, 0-9, ".", "-" or "_"`);
  }
  createWorkspace(state, workspace);
  const existing = state.repo(workspace, slug);
  if (existing) return existing;
  const repo: Repo = {
    workspace,
    slug,
    uuid: bracedUuid(),
    name: slug,
    mainbranch: "main",
    createdOn: new Date().toISOString(),
  };
  const gitDir = gitDirOf(state.dataDir, repo);
  await mkdir(gitDir, { recursive: true });
  await run("git", ["init", "--quiet", "--bare", "--initial-branch=main", gitDir]);
  // Anonymous pushes over smart HTTP: http-backend refuses receive-pack without
  // this unless REMOTE_USER is set, and we want both to hold.
  await run("git", ["--git-dir", gitDir, "config", "http.receivepack", "true"]);
  state.data.repos[`${workspace}/${slug}`] = repo;
  state.save();
  return repo;
}
