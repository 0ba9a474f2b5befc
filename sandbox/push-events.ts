import { commitJson, repositoryJson, userJson } from "./bitbucket-json.ts";
import { type RefTip, isAncestor, logCommits } from "./git.ts";
import type { Repo, User, Workspace } from "./state.ts";

/** Bitbucket lists at most five commits per change and sets `truncated` beyond. */
const COMMITS_PER_CHANGE = 5;

export interface PushContext {
  origin: string;
  gitDir: string;
  repo: Repo;
  workspace: Workspace;
  actor: User;
}

/**
 * Builds the `repo:push` payload from the refs before and after one receive-pack,
 * or returns null when no branch or tag moved. Every changed ref of the push goes
 * into the one payload, as Bitbucket does; a deleted ref has `new: null`.
 */
export async function buildPushPayload(
  ctx: PushContext,
  before: Map<string, RefTip>,
  after: Map<string, RefTip>,
) {
  const names = [...new Set([...before.keys(), ...after.keys()])].sort();
  const changed = names.filter((name) => before.get(name)?.commit !== after.get(name)?.commit);
  if (changed.length === 0) return null;
  const changes = [];
  for (const name of changed) {
    changes.push(await buildChange(ctx, before, before.get(name), after.get(name)));
  }
  return {
    actor: userJson(ctx.origin, ctx.actor),
    repository: repositoryJson(ctx.origin, ctx.repo, ctx.workspace),
    push: { changes },
  };
}

async function buildChange(ctx: PushContext, before: Map<string, RefTip>, old?: RefTip, now?: RefTip) {
  const forced = old && now ? !(await isAncestor(ctx.gitDir, old.commit, now.commit)) : false;
  const listed = now ? await newCommits(ctx, before, now, old) : [];
  return {
    old: old ? await refState(ctx, old) : null,
    new: now ? await refState(ctx, now) : null,
    created: !old,
    closed: !now,
    forced,
    truncated: listed.length > COMMITS_PER_CHANGE,
    commits: listed.slice(0, COMMITS_PER_CHANGE).map((c) => commitJson(ctx.origin, ctx.repo, c)),
  };
}

/** Commits the push brought to this ref: new tip minus old tip (or minus every ref before, for a new ref). */
async function newCommits(ctx: PushContext, before: Map<string, RefTip>, now: RefTip, old?: RefTip) {
  const excluded = old ? [old.commit] : [...before.values()].map((ref) => ref.commit);
  const revs = [now.commit, ...excluded.map((hash) => `^${hash}`)];
  return logCommits(ctx.gitDir, revs, COMMITS_PER_CHANGE + 1);
}

async function refState(ctx: PushContext, ref: RefTip) {
  const [commit] = await logCommits(ctx.gitDir, [ref.commit], 1);
  if (!commit) throw new Error(`ref ${ref.name} points at ${ref.commit}, which git cannot show`);
  const isTag = ref.name.startsWith("refs/tags/");
  const name = ref.name.replace(/^refs\/(heads|tags)\//, "");
  const fullName = `${ctx.repo.workspace}/${ctx.repo.slug}`;
  return {
    type: isTag ? "tag" : "branch",
    name,
    target: commitJson(ctx.origin, ctx.repo, commit),
    links: { html: { href: `${ctx.origin}/${fullName}/${isTag ? "commits/tag" : "branch"}/${encodeURIComponent(name)}` } },
  };
}
