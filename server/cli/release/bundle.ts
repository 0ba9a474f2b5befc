import { fileURLToPath } from "node:url";
import { build, type Metafile } from "esbuild";

/**
 * Bundles the deployer (lambda/handler.ts) into one CommonJS file for the nodejs22.x runtime.
 *
 * Why CommonJS: with `@aws-sdk/*` left out, the bundle must find the SDK that the runtime ships
 * in /var/runtime/node_modules. `require()` finds it through NODE_PATH, which Lambda sets;
 * ES module resolution ignores NODE_PATH. CommonJS also needs no `createRequire` banner for the
 * dependencies that `require()` Node built-ins at run time (pino, the SDK's credential chain).
 */

export const ENTRY_FILE = "index.js";
/** The function's Handler setting: `<file without extension>.<export>`. */
export const HANDLER = "index.handler";
/** Lambda runtime the bundle targets; esbuild targets the oldest Node we also run it on here. */
export const RUNTIME = "nodejs22.x";

const HANDLER_SOURCE = fileURLToPath(new URL("../../../lambda/handler.ts", import.meta.url));

export type Bundle = {
  /** Files of the package, path → bytes; always includes ENTRY_FILE. */
  files: Map<string, Buffer>;
  /** Packages kept out of the bundle and expected from the runtime. */
  external: string[];
  /** Bytes of bundled input per top-level package ("(hoist)" for our own code). */
  inputs: Record<string, number>;
  warnings: string[];
};

export async function bundleDeployer(opts: { bundleSdk?: boolean } = {}): Promise<Bundle> {
  const external = opts.bundleSdk ? [] : ["@aws-sdk/*"];
  const result = await build({
    entryPoints: [HANDLER_SOURCE],
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    outfile: ENTRY_FILE,
    write: false,
    minify: true,
    // Names stay readable in stack traces that reach CloudWatch.
    keepNames: true,
    legalComments: "none",
    external,
    metafile: true,
    logLevel: "silent",
    // The SDK ships dual packages: prefer their CommonJS build, as the runtime's own copy would load.
    mainFields: ["main", "module"],
  });
  const output = result.outputFiles.find((f) => f.path.endsWith(ENTRY_FILE));
  if (!output) throw new Error("esbuild produced no bundle for lambda/handler.ts");
  const files = new Map<string, Buffer>([
    [ENTRY_FILE, Buffer.from(output.contents)],
    // Pins the module format: no package.json above /var/task may turn index.js into ESM.
    ["package.json", Buffer.from(`${JSON.stringify({ type: "commonjs" })}\n`)],
  ]);
  const warnings = result.warnings.map((w) => `${w.location?.file ?? ""}:${w.location?.line ?? ""} ${w.text}`);
  return { files, external, inputs: inputsByPackage(result.metafile), warnings };
}

function inputsByPackage(metafile: Metafile): Record<string, number> {
  const sizes: Record<string, number> = {};
  for (const [path, input] of Object.entries(metafile.inputs)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    const name = match ? match[1]! : "(hoist)";
    sizes[name] = (sizes[name] ?? 0) + input.bytes;
  }
  return sizes;
}
