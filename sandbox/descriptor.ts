import { z } from "zod";
import { InstallError } from "./errors.ts";
import { readCapped } from "./http-client.ts";

/** Module and lifecycle URLs are paths under the add-on's baseUrl. */
const relativeUrl = z.string().min(1).max(2048).regex(/^\//, "must be a path starting with / (relative to baseUrl)");

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

// Bitbucket requires https; the sandbox also accepts http on loopback so local mode runs without TLS.
const baseUrl = z.url().refine((value) => {
  const url = new URL(value);
  return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK.has(url.hostname));
}, "must be https (http is accepted for localhost / 127.0.0.1 only)");

const SCOPES = [
  "account", "account:write", "team", "team:write", "repository", "repository:write", "repository:admin",
  "repository:delete", "pullrequest", "pullrequest:write", "snippet", "snippet:write", "issue",
  "issue:write", "wiki", "webhook", "email", "pipeline", "pipeline:write", "pipeline:variable", "runner",
] as const;

const name = z.object({ value: z.string().min(1).max(255) });

const webhook = z.object({ event: z.string().min(1).max(100), url: relativeUrl });

const webPanel = z.looseObject({
  key: z.string().regex(/^[a-zA-Z0-9-_]{1,100}$/),
  url: relativeUrl,
  name,
  location: z.string().min(1),
  weight: z.number().optional(),
});

const repoPage = z.looseObject({
  key: z.string().regex(/^[a-zA-Z0-9-_]{1,100}$/),
  url: relativeUrl,
  name,
  location: z.string().default("org.bitbucket.repository.navigation"),
});

/** One module or a list of them: Connect accepts both for webhooks. */
const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.union([z.array(item), item.transform((one) => [one])]).optional();

export const descriptorSchema = z.looseObject({
  key: z.string().regex(/^[a-zA-Z0-9._-]{1,80}$/, "must be 1-80 of a-z, A-Z, 0-9, '.', '_', '-'"),
  name: z.string().min(1).max(255),
  description: z.string().max(1000).default(""),
  baseUrl,
  authentication: z.object({ type: z.literal("jwt", "Bitbucket Connect add-ons must use jwt") }),
  lifecycle: z.object({ installed: relativeUrl, uninstalled: relativeUrl.optional() }),
  scopes: z.array(z.enum(SCOPES)).default([]),
  contexts: z.array(z.enum(["account", "personal"])).default(["account"]),
  modules: z
    .looseObject({
      webhooks: oneOrMany(webhook),
      webPanels: oneOrMany(webPanel),
      repoPages: oneOrMany(repoPage),
    })
    .default({}),
});

export type Descriptor = z.infer<typeof descriptorSchema>;

export function parseDescriptor(json: unknown, source: string): Descriptor {
  const parsed = descriptorSchema.safeParse(json);
  if (!parsed.success) {
    throw new InstallError(
      "install.descriptor_invalid",
      `the descriptor at ${source} is not a valid Bitbucket Connect descriptor:\n${z.prettifyError(parsed.error)}`,
    );
  }
  return parsed.data;
}

/** Fetches and validates a descriptor; refuses with the reason, as Bitbucket's install screen does. */
export async function fetchDescriptor(url: string): Promise<Descriptor> {
  let text: string;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000), headers: { accept: "application/json" } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    text = await readCapped(res, 256 * 1024);
  } catch (err) {
    throw new InstallError(
      "install.descriptor_unreachable",
      `could not read the descriptor at ${url} (${(err as Error).message}): is the add-on running and the URL right?`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InstallError("install.descriptor_invalid", `the descriptor at ${url} is not JSON`);
  }
  return parseDescriptor(json, url);
}

/** The absolute URL of a path under the add-on's baseUrl (which may carry a path of its own). */
export function addonUrl(descriptor: Descriptor, path: string): string {
  return descriptor.baseUrl.replace(/\/+$/, "") + path;
}
