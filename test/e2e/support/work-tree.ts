import { execFile } from "node:child_process";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * A developer's working tree of a sandbox repository: write files, commit, `git push origin main`
 * with the real git CLI over smart HTTP — the push is what triggers every deploy in these tests.
 */
export class WorkTree {
  private constructor(
    readonly dir: string,
    readonly cloneUrl: string,
  ) {}

  static async create(dir: string, cloneUrl: string): Promise<WorkTree> {
    await mkdir(dir, { recursive: true });
    const tree = new WorkTree(dir, cloneUrl);
    await tree.git("init", "--quiet", "--initial-branch=main");
    await tree.git("remote", "add", "origin", cloneUrl);
    return tree;
  }

  async write(files: Record<string, string | Buffer>): Promise<void> {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(this.dir, path)), { recursive: true });
      await writeFile(join(this.dir, path), content);
    }
  }

  /** `ln -s target path` (committed as a symlink: git mode 120000). */
  async symlink(path: string, target: string): Promise<void> {
    await mkdir(dirname(join(this.dir, path)), { recursive: true });
    await symlink(target, join(this.dir, path));
  }

  async remove(path: string): Promise<void> {
    await this.git("rm", "--quiet", "-r", path);
  }

  /** Commits everything in the tree and pushes main; returns the commit pushed. */
  async commitAndPush(message: string): Promise<string> {
    await this.git("add", "-A");
    await this.git("commit", "--quiet", "-m", message);
    await this.git("push", "--quiet", "origin", "main");
    return this.git("rev-parse", "HEAD");
  }

  async git(...args: string[]): Promise<string> {
    const env = {
      ...process.env,
      GIT_AUTHOR_NAME: "Ada Lovelace",
      GIT_AUTHOR_EMAIL: "ada@example.com",
      GIT_COMMITTER_NAME: "Ada Lovelace",
      GIT_COMMITTER_EMAIL: "ada@example.com",
      GIT_TERMINAL_PROMPT: "0",
    };
    const { stdout } = await run("git", args, { cwd: this.dir, env, maxBuffer: 16 * 1024 * 1024 });
    return stdout.trim();
  }
}
