import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

/**
 * Where the browser tests find Chromium: CHROMIUM_PATH, else Debian's /usr/bin/chromium.
 * Returns undefined when neither exists, so Playwright falls back to its own download.
 */
const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

export function chromiumPath(): string | undefined {
  const configured = process.env.CHROMIUM_PATH;
  if (configured && existsSync(configured)) return configured;
  return CANDIDATES.find((p) => existsSync(p));
}

/**
 * Makes sure a Chromium exists before the browser tests start, and says what it did:
 * Debian's package when running as root with apt, else Playwright's own download.
 */
export function ensureChromium(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): string | undefined {
  const found = chromiumPath();
  if (found) return found;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (isRoot && existsSync("/usr/bin/apt-get")) {
    log("e2e: no Chromium found; installing Debian's chromium package (about 30 s)…");
    execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
    execFileSync("apt-get", ["install", "-y", "-qq", "chromium"], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    return chromiumPath();
  }
  log("e2e: no Chromium found and no apt as root; trying Playwright's own browser download…");
  execFileSync("npx", ["playwright", "install", "chromium"], { stdio: "inherit" });
  return undefined;
}
