import type { FetchLike } from "../api/client.ts";

/**
 * The panel's `fetch`, carried by Forge instead of the network. Inside Bitbucket the panel runs on
 * Atlassian's CDN and cannot reach Hoist itself: every call goes through `invokeRemote`, which
 * hands it to Forge, which signs it (the FIT), adds the product tokens and calls Hoist's remote.
 *
 * The types below mirror @forge/bridge's `invokeRemote` so this file (and its test) never loads
 * the bridge, which throws at import time outside Forge. Only the Forge entry imports it.
 */

export type InvokeRemoteMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
export type InvokeRemoteInput = { path: string; method: InvokeRemoteMethod; headers?: Record<string, string>; body?: unknown };
/** What invokeRemote resolves to: the remote's answer (any status), or — when Forge could not reach it — its error fields without a status. */
export type InvokeRemoteResult = { status?: unknown; headers?: Record<string, string | string[] | undefined>; body?: unknown; message?: unknown };
export type InvokeRemote = (input: InvokeRemoteInput) => Promise<InvokeRemoteResult>;

const METHODS: readonly string[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];
/** Statuses whose Response may not carry a body. */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);
/** Headers that describe the bytes on the wire, not the JSON re-serialized here. */
const WIRE_HEADERS = new Set(["content-length", "content-encoding", "transfer-encoding"]);

/** A network-level failure, as `fetch` reports one (ApiClient shows it as "could not reach"). */
function networkError(message: string): TypeError {
  return new TypeError(message);
}

function requestBody(body: RequestInit["body"]): unknown {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== "string") throw networkError("Forge carries JSON bodies only.");
  try {
    return JSON.parse(body);
  } catch {
    throw networkError("Forge carries JSON bodies only.");
  }
}

function responseHeaders(raw: InvokeRemoteResult["headers"], hasBody: boolean): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw ?? {})) {
    if (value === undefined || WIRE_HEADERS.has(name.toLowerCase())) continue;
    try {
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, String(v));
    } catch {
      // A header name or value a Response cannot hold is dropped, not fatal.
    }
  }
  // The body is handed over parsed and re-serialized here, so it is JSON whatever Hoist labelled it.
  if (hasBody) headers.set("content-type", "application/json");
  else headers.delete("content-type");
  return headers;
}

/**
 * A FetchLike over `invokeRemote`: (url, init) → invokeRemote({ path: url, method, headers:
 * content-type only, body: parsed JSON }) → a real Response built from { status, headers, body }.
 * No Authorization header is sent (Forge authenticates the call with the FIT) and credentials
 * mean nothing here. Throws a TypeError, as fetch does, when the call never got an answer.
 */
export function invokeRemoteFetch(invoke: InvokeRemote): FetchLike {
  return async (url, init = {}) => {
    if (!url.startsWith("/") || url.startsWith("//")) throw networkError(`Forge calls Hoist by path; '${url}' is not one.`);
    const method = (init.method ?? "GET").toUpperCase();
    if (!METHODS.includes(method)) throw networkError(`Forge cannot send a ${method} request.`);
    const input: InvokeRemoteInput = { path: url, method: method as InvokeRemoteMethod };
    const contentType = new Headers(init.headers).get("content-type");
    if (contentType) input.headers = { "Content-Type": contentType };
    const body = requestBody(init.body);
    if (body !== undefined) input.body = body;

    const answer = await invoke(input);
    const status = answer?.status;
    if (typeof status !== "number" || !Number.isInteger(status) || status < 200 || status > 599) {
      const why = typeof answer?.message === "string" && answer.message ? answer.message : "Forge could not reach Hoist.";
      throw networkError(why);
    }
    const hasBody = answer.body !== undefined && !NULL_BODY.has(status);
    return new Response(hasBody ? JSON.stringify(answer.body) : null, { status, headers: responseHeaders(answer.headers, hasBody) });
  };
}
