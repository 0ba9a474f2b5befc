import { type ChildProcess, spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../../server/listen.ts";
import { installCommand, tool } from "./tools.ts";

/** A moto_server on a free loopback port, for one test file. */
export type Moto = { endpoint: string; stop(): Promise<void> };

export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const child: ChildProcess = spawn(tool("moto_server"), ["-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
  const endpoint = `http://127.0.0.1:${port}`;
  const until = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}; reinstall it: ${installCommand()}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error("moto_server did not start within 15 s");
    await sleep(100);
  }
  return {
    endpoint,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((done) => child.once("exit", done));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** moto accepts any credentials; the SDK's default chain reads these. */
export function useDummyCredentials(): void {
  process.env.AWS_ACCESS_KEY_ID = "testing";
  process.env.AWS_SECRET_ACCESS_KEY = "testing";
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
}
