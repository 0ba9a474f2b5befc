import { type ChildProcess, execFileSync, fork, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, writeFileSync } from "node:fs";
import { connect, createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The three servers of the gateway bench, each in its own process on 127.0.0.1: Hoist (the real
 * server, hoist-child.ts), the plain Node static server (sirv, static-child.ts) and nginx (one
 * worker), both serving the site's folder from disk. Each is stopped by its own process id.
 */

export type ServerName = "hoist" | "sirv" | "nginx";
export type RunningServer = { name: ServerName; port: number; pid: number; stop(): Promise<void> };

const HERE = fileURLToPath(new URL(".", import.meta.url));
const TSX = ["--openssl-legacy-provider", "--no-warnings", "--import", "tsx"];
const START_TIMEOUT_MS = 60_000;

/** Forks a child that answers `{ port }` once it listens. */
function forkListening(name: ServerName, module: string, args: string[], env: NodeJS.ProcessEnv): Promise<RunningServer> {
  const child = fork(join(HERE, module), args, { execArgv: TSX, env, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${name} did not start listening within ${START_TIMEOUT_MS / 1000} s`));
    }, START_TIMEOUT_MS);
    child.once("message", (m: { port: number }) => {
      clearTimeout(timer);
      resolve({ name, port: m.port, pid: child.pid!, stop: () => stopChild(child, () => child.disconnect()) });
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${signal ?? code}) before it listened`));
    });
  });
}

/** Asks the child to stop (`ask`), then SIGKILLs it after 15 s. */
async function stopChild(child: ChildProcess, ask: () => void): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  ask();
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}

/** Hoist's server; `env` is its whole environment (the bench builds it from scratch). */
export function startHoist(env: NodeJS.ProcessEnv): Promise<RunningServer> {
  return forkListening("hoist", "hoist-child.ts", [], env);
}

export function startSirv(dir: string): Promise<RunningServer> {
  return forkListening("sirv", "static-child.ts", [dir], { PATH: process.env.PATH, NODE_ENV: "production" });
}

/** The nginx binary on PATH, or undefined. */
export function findNginx(): string | undefined {
  try {
    return execFileSync("sh", ["-c", "command -v nginx"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** "nginx/1.22.1" (nginx prints its version on stderr). */
export function nginxVersion(bin: string): string {
  const out = spawnSync(bin, ["-v"], { encoding: "utf8" });
  return `${out.stdout ?? ""}${out.stderr ?? ""}`.trim().replace(/^nginx version:\s*/, "") || "nginx";
}

/**
 * nginx in the foreground (`daemon off`), one worker, serving `siteDir` from disk with sendfile,
 * `gzip_static on` (the `.gz` twins, as sirv) and no access log; its files under `workDir`.
 * keepalive_requests is raised so that, like Node's server, it never closes a busy connection.
 */
export async function startNginx(bin: string, siteDir: string, workDir: string): Promise<RunningServer> {
  mkdirSync(workDir, { recursive: true });
  const port = await freePort();
  const conf = join(workDir, "nginx.conf");
  writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
pid ${join(workDir, "nginx.pid")};
error_log ${join(workDir, "error.log")} warn;
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 65;
  keepalive_requests 1000000;
  gzip_static on;
  etag on;
  client_body_temp_path ${join(workDir, "body")};
  proxy_temp_path ${join(workDir, "proxy")};
  fastcgi_temp_path ${join(workDir, "fastcgi")};
  uwsgi_temp_path ${join(workDir, "uwsgi")};
  scgi_temp_path ${join(workDir, "scgi")};
  server {
    listen 127.0.0.1:${port};
    root ${siteDir};
    index index.html;
  }
}
`,
  );
  const child = spawn(bin, ["-e", join(workDir, "error.log"), "-p", `${workDir}/`, "-c", conf], { stdio: ["ignore", "inherit", "inherit"] });
  const failed = new Promise<never>((_, reject) =>
    child.once("exit", (code, signal) => reject(new Error(`nginx exited (${signal ?? code}) before it listened; see ${join(workDir, "error.log")}`))),
  );
  await Promise.race([waitForPort(port), failed]);
  // SIGQUIT: graceful stop of the master and its worker.
  return { name: "nginx", port, pid: child.pid!, stop: () => stopChild(child, () => child.kill("SIGQUIT")) };
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

async function waitForPort(port: number): Promise<void> {
  const until = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listens on 127.0.0.1:${port} after ${START_TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
