import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/**
 * Hoist as a user runs it: `npm start` (server/start.ts, local mode) in a child process with its
 * own data folder and free ports. The test talks to it only the ways a user can: the printed
 * URLs, git, HTTP, and the sandbox's admin API. The embedded backend's endpoints are read from
 * `<dataDir>/backend.json` (the file the `hoist` CLI uses to attach to a running Hoist).
 */

export type HoistProcess = {
  /** Hoist's origin (add-on, panel, panel API, gateway), e.g. http://localhost:41234. */
  hoistUrl: string;
  /** The sandbox Bitbucket's origin, e.g. http://127.0.0.1:41235. */
  sandboxUrl: string;
  /** Host suffix of sites, e.g. localhost:41234 (site hosts: <repo>--<workspace>.<sitesDomain>). */
  sitesDomain: string;
  descriptorUrl: string;
  dataDir: string;
  /** Server log (stderr) so far, for failure messages. */
  log(): Promise<string>;
  backendEndpoints(): Promise<{ s3: string; dynamodb: string }>;
  stop(): Promise<void>;
};

const ROOT = resolve(import.meta.dirname, "../../..");
const START_TIMEOUT_MS = 90_000;

export async function startHoistProcess(env: Record<string, string> = {}): Promise<HoistProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), "hoist-e2e-"));
  const logFile = join(dataDir, "server.log");
  const child = spawn(
    process.execPath,
    ["--openssl-legacy-provider", "--no-warnings", "--import", "tsx", "server/start.ts"],
    {
      cwd: ROOT,
      env: { ...baseEnv(), PORT: "0", HOIST_DATA_DIR: dataDir, HOIST_LOG_LEVEL: "warn", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  // If the test runner dies without tearing fixtures down, do not leave Hoist running.
  const orphanGuard = () => child.kill("SIGTERM");
  process.once("exit", orphanGuard);
  const logStream = createWriteStream(logFile);
  child.stderr?.pipe(logStream);
  const log = async () => readFile(logFile, "utf8").catch(() => "");
  let printed: string;
  try {
    printed = await waitForBanner(child);
  } catch (err) {
    child.kill("SIGKILL");
    throw new Error(`${(err as Error).message}\n--- server log ---\n${await log()}`);
  }
  const repoPage = field(printed, "Repository page (Bitbucket sandbox):");
  const descriptorUrl = field(printed, "Add-on descriptor:");
  const hoistUrl = new URL(descriptorUrl).origin;
  const siteUrl = new URL(field(printed, "Live site:"));
  return {
    hoistUrl,
    sandboxUrl: new URL(repoPage).origin,
    sitesDomain: siteUrl.host.split(".").slice(1).join("."),
    descriptorUrl,
    dataDir,
    log,
    backendEndpoints: async () => JSON.parse(await readFile(join(dataDir, "backend.json"), "utf8")) as { s3: string; dynamodb: string },
    stop: async () => {
      process.off("exit", orphanGuard);
      await stopChild(child);
      logStream.end();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** PATH, HOME and the like; no HOIST_* or AWS_* settings of the shell running the tests. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^(HOIST_|AWS_|PORT$|NODE_ENV$|NODE_OPTIONS$)/.test(key)) continue;
    env[key] = value;
  }
  return env;
}

function waitForBanner(child: ChildProcess): Promise<string> {
  return new Promise((done, fail) => {
    let out = "";
    const timer = setTimeout(() => fail(new Error(`npm start did not print its URLs within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      if (out.includes("Press Ctrl+C to stop.")) {
        clearTimeout(timer);
        done(out);
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`npm start exited (${signal ?? code}) before it was ready:\n${out}`));
    });
  });
}

function field(printed: string, label: string): string {
  const line = printed.split("\n").find((l) => l.includes(label));
  const value = line?.slice(line.indexOf(label) + label.length).trim();
  if (!value) throw new Error(`npm start did not print "${label}":\n${printed}`);
  return value;
}

/** SIGTERM (Hoist closes its servers), SIGKILL if it has not exited after 10 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}
