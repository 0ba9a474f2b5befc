import { fork } from "node:child_process";
import { pathToFileURL } from "node:url";

/**
 * Floors and the naive approach run in their own process, like the deployer's worker, so the
 * bench process (which hosts s3rver and dynalite) never shares a thread with the work measured.
 * A child receives one JSON job as argv[2] and answers with one IPC message.
 */

type Answer<R> = { ok: true; result: R } | { ok: false; error: string };

/** CPU time (user + system) this process has used since `from`, in ms. */
export const cpuMsSince = (from: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1000;
};

export function runChild<J, R>(moduleFile: string, job: J): Promise<R> {
  return new Promise((resolve, reject) => {
    const child = fork(moduleFile, [JSON.stringify(job)], {
      execArgv: ["--openssl-legacy-provider", "--no-warnings", "--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let answer: Answer<R> | undefined;
    child.on("message", (m: Answer<R>) => {
      answer = m;
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (answer?.ok) resolve(answer.result);
      else reject(new Error(answer ? answer.error : `bench child ${moduleFile} exited (${signal ?? code}) without an answer`));
    });
  });
}

/** Runs `work` when this module is the process's entry point (the child side of runChild). */
export function serveChild<J, R>(moduleUrl: string, work: (job: J) => Promise<R>): void {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href || !process.send) return;
  const job = JSON.parse(process.argv[2] ?? "{}") as J;
  work(job).then(
    (result) => process.send!({ ok: true, result } satisfies Answer<R>, undefined, {}, () => process.exit(0)),
    (err: Error) => process.send!({ ok: false, error: err?.stack ?? String(err) } satisfies Answer<R>, undefined, {}, () => process.exit(1)),
  );
}
