import { SandboxError } from "./errors.ts";

/** Forge gives a remote invocation from Custom UI 25 seconds and no retry. */
const INVOKE_TIMEOUT_MS = 25_000;
const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE"]);
/** Headers only Forge sets: the app's own headers never replace them. */
const FORGE_ONLY = /^(authorization|x-forge-.*|host|content-length|connection|transfer-encoding)$/i;

/** The remote's answer as the bridge hands it to Custom UI (`payload` of a successful invoke). */
export interface ForgeInvokeResult {
  status: number;
  headers: Record<string, string[]>;
  /** Parsed JSON, or undefined when the answer is empty or not JSON. */
  body: unknown;
}

export interface RemoteCall {
  baseUrl: string;
  path: string;
  method: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** The FIT and product tokens. */
  forgeHeaders: Record<string, string>;
}

/** One request to `<remote baseUrl><path>`; rejects only when there is no HTTP answer. */
export async function invokeRemote(call: RemoteCall): Promise<ForgeInvokeResult> {
  const method = call.method.toUpperCase();
  if (!METHODS.has(method)) throw new SandboxError("forge.bad_method", `invokeRemote takes GET, POST, PUT, PATCH or DELETE, not "${call.method}"`);
  if (!call.path.startsWith("/") || call.path.startsWith("//")) throw new SandboxError("forge.bad_path", `invokeRemote's path must be absolute on the remote ("/…"), not "${call.path}"`);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(call.headers ?? {})) if (!FORGE_ONLY.test(name) && typeof value === "string") headers[name.toLowerCase()] = value;
  let body: string | undefined;
  if (call.body !== undefined && call.body !== null && method !== "GET") {
    body = typeof call.body === "string" ? call.body : JSON.stringify(call.body);
    headers["content-type"] ??= "application/json";
  }
  const res = await fetch(`${call.baseUrl}${call.path}`, { method, headers: { ...headers, ...call.forgeHeaders }, body, signal: AbortSignal.timeout(INVOKE_TIMEOUT_MS) });
  const text = await res.text();
  return { status: res.status, headers: headersOf(res.headers), body: parseJson(text) };
}

/** Hop-by-hop headers end at Forge; the rest reach Custom UI. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection"]);

function headersOf(headers: Headers): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  headers.forEach((value, name) => {
    if (HOP_BY_HOP.has(name)) return;
    out[name] = name === "set-cookie" ? headers.getSetCookie() : [value];
  });
  return out;
}

function parseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
