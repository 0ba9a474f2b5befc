import { execFileSync } from "node:child_process";
import { ensureChromium } from "../e2e/support/chromium.ts";
import { existsSync } from "node:fs";
import { findTool, installCommand, NODE_22, NODE_22_PACKAGE, NODE_22_PREFIX, node22InstallCommand, PYTHON_TOOLS, VENV } from "../support/tools.ts";

/**
 * `npm test`'s first step: everything the suites drive is on this machine before either suite
 * starts, or the run stops here saying how to get it. Chromium (Debian's package as root, else
 * Playwright's download), then moto_server and cfn-lint (the PATH's, else pip into .venv), then
 * the Node 22 the Lambda runtime runs (npm, into .tools/node22).
 */

function fail(message: string): never {
  process.stderr.write(`\nnpm test: ${message}\n`);
  process.exit(1);
}

try {
  if (!ensureChromium()) fail("no Chromium for the browser tests. Install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH.");
} catch (err) {
  fail(`could not install Chromium (${(err as Error).message.split("\n")[0]}). Run: apt-get update && apt-get install -y chromium`);
}

const missing = Object.keys(PYTHON_TOOLS).filter((name) => !findTool(name));
if (missing.length > 0) {
  process.stderr.write(`npm test: ${missing.join(" and ")} not found; installing into ${VENV}…\n`);
  try {
    execFileSync("python3", ["-m", "venv", VENV], { stdio: "inherit" });
    execFileSync(`${VENV}/bin/pip`, ["install", "--quiet", ...Object.values(PYTHON_TOOLS)], { stdio: "inherit", timeout: 600_000 });
  } catch {
    fail(`could not install ${missing.join(" and ")} (no Python package index reachable?). Run this where PyPI is reachable, then npm test again:\n  ${installCommand()}`);
  }
  const still = missing.filter((name) => !findTool(name));
  if (still.length > 0) fail(`${still.join(" and ")} still missing after installing. Run: ${installCommand()}`);
}

if (!existsSync(NODE_22)) {
  process.stderr.write(`npm test: installing ${NODE_22_PACKAGE} (the Lambda runtime's Node) into ${NODE_22_PREFIX}…\n`);
  try {
    execFileSync("npm", ["install", "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--prefix", NODE_22_PREFIX, NODE_22_PACKAGE], { stdio: "inherit", timeout: 600_000 });
  } catch {
    fail(`could not install ${NODE_22_PACKAGE}. Run this where the npm registry is reachable, then npm test again:\n  ${node22InstallCommand()}`);
  }
  if (!existsSync(NODE_22)) fail(`${NODE_22_PACKAGE} installed no node binary. Run: ${node22InstallCommand()}`);
}

