// The part of Lambda's Node.js runtime that matters to a deployment package, in plain Node:
// resolve `_HANDLER` ("index.handler") inside LAMBDA_TASK_ROOT trying .js, .mjs, .cjs; load
// CommonJS with require() (falling back to import() for ES modules) and .mjs with import();
// call the export with the event and a context, and write the result (or error) as JSON.
// Runtime-provided packages (the SDK) come only from NODE_PATH, as on Lambda.
// Usage: node fake-lambda-runtime.mjs <event.json> <result.json>
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [eventFile, resultFile] = process.argv.slice(2);
const taskRoot = process.env.LAMBDA_TASK_ROOT;
const [moduleName, exportName] = process.env._HANDLER.split(".");

async function load() {
  for (const ext of [".js", ".mjs", ".cjs"]) {
    const file = join(taskRoot, moduleName + ext);
    if (!existsSync(file)) continue;
    if (ext === ".mjs") return import(pathToFileURL(file).href);
    try {
      return createRequire(file)(file);
    } catch (err) {
      if (err.code !== "ERR_REQUIRE_ESM") throw err;
      return import(pathToFileURL(file).href);
    }
  }
  throw new Error(`Runtime.ImportModuleError: Cannot find module '${moduleName}'`);
}

const deadline = Date.now() + Number(process.env.AWS_LAMBDA_FUNCTION_TIMEOUT ?? 60) * 1000;
const context = { awsRequestId: "fake-request-1", functionName: "hoist-deployer", getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
try {
  const mod = await load();
  const handler = mod[exportName];
  if (typeof handler !== "function") throw new Error(`Runtime.HandlerNotFound: ${moduleName}.${exportName} is undefined or not exported`);
  const result = await handler(JSON.parse(readFileSync(eventFile, "utf8")), context);
  writeFileSync(resultFile, JSON.stringify({ ok: true, result }));
} catch (err) {
  writeFileSync(resultFile, JSON.stringify({ ok: false, error: { name: err?.name, message: err?.message } }));
}
