import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Runs git against one bare repository; rejects with git's stderr on failure. */
export async function git(gitDir: string, args: string[]): Promise<string> {
  const { stdout } = await run("git", ["--git-dir", gitDir, ...args], {
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, GIT_TERMINAL_PROMPT: "0" },
  });
  return stdout;
}

/** A ref as Bitbucket reports it: the commit it points at, tags peeled. */
export interface RefTip {
  name: string; // "refs/heads/main", "refs/tags/v1"
  commit: string;
}

export async function listRefs(gitDir: string): Promise<Map<string, RefTip>> {
  // %(*objectname) peels annotated tags to their commit; it is empty otherwise.
  const out = await git(gitDir, [
    "for-each-ref",
    "--format=%(refname)%00%(objectname)%00%(*objectname)",
    "refs/heads",
    "refs/tags",
  ]);
  const refs = new Map<string, RefTip>();
  for (const line of out.split("\n").filter(Boolean)) {
    const [name = "", object = "", peeled = ""] = line.split("\0");
    refs.set(name, { name, commit: peeled || object });
  }
  return refs;
}

export interface CommitInfo {
  hash: string;
  authorName: string;
  authorEmail: string;
  date: string;
  message: string;
  parents: string[];
}

const FORMAT = "%H%x00%an%x00%ae%x00%aI%x00%P%x00%B%x1e";

/** Commits reachable by `revs` (git rev-list syntax), newest first. */
export async function logCommits(gitDir: string, revs: string[], max: number): Promise<CommitInfo[]> {
  const out = await git(gitDir, ["log", `--format=${FORMAT}`, `--max-count=${max}`, ...revs, "--"]);
  return out
    .split("\x1e")
    .map((record) => record.replace(/^\n/, ""))
    .filter(Boolean)
    .map((record) => {
      const [hash = "", authorName = "", authorEmail = "", date = "", parents = "", message = ""] = record.split("\0");
      return { hash, authorName, authorEmail, date, message, parents: parents.split(" ").filter(Boolean) };
    });
}

/** Resolves a commit-ish given by a URL to a full hash, or undefined. */
export async function resolveCommit(gitDir: string, spec: string): Promise<string | undefined> {
  // Refuse anything that git could read as an option or a revision expression.
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$/.test(spec) || spec.includes("..")) return undefined;
  try {
    return (await git(gitDir, ["rev-parse", "--verify", "--quiet", `${spec}^{commit}`])).trim();
  } catch {
    return undefined;
  }
}

export async function isAncestor(gitDir: string, older: string, newer: string): Promise<boolean> {
  try {
    await git(gitDir, ["merge-base", "--is-ancestor", older, newer]);
    return true;
  } catch {
    return false;
  }
}
