import { signAddonRequest } from "./connect-jwt.ts";
import { addonUrl } from "./descriptor.ts";
import type { Installation } from "./state.ts";

/**
 * Context parameters by their first segment, and the scope Bitbucket requires
 * before it fills them in (developer.atlassian.com/cloud/bitbucket/connect-context-access).
 */
const SCOPE_OF: Record<string, string> = {
  user: "account",
  target_user: "account",
  workspace: "account",
  principal: "account",
  repository: "repository",
  branch: "repository",
  commit: "repository",
  file: "repository",
  directory: "repository",
  pullrequest: "pullrequest",
  snippet: "snippet",
  issue: "issue",
};

export interface IframeInput {
  installation: Installation;
  moduleUrl: string;
  /** API objects by name (repository, workspace, user…); params are paths into them. */
  context: Record<string, unknown>;
  origin: string;
  userAccountId: string;
  skewSeconds: number;
}

/**
 * Builds a module's iframe URL as Bitbucket does: context parameters filled in
 * (empty when unknown or the scope is missing), the host's `xdm_e`/`xdm_c`/`cp`,
 * and a fresh `jwt` whose qsh covers GET + path + every other query parameter.
 */
export function iframeUrl(input: IframeInput): string {
  const { installation, context } = input;
  const granted = new Set(installation.descriptor.scopes.map((scope) => scope.split(":")[0] ?? scope));
  const path = input.moduleUrl.replace(/\{([A-Za-z_][A-Za-z0-9_.]*)\}/g, (_m, name: string) =>
    encodeURIComponent(contextValue(context, granted, name)),
  );
  const url = new URL(addonUrl(installation.descriptor, path));
  url.searchParams.set("xdm_e", input.origin);
  url.searchParams.set("xdm_c", `channel-${installation.addonKey}`);
  url.searchParams.set("cp", "");
  const jwt = signAddonRequest({
    clientKey: installation.clientKey,
    sharedSecret: installation.sharedSecret,
    method: "GET",
    url: url.href,
    baseUrl: installation.descriptor.baseUrl,
    sub: input.userAccountId,
    skewSeconds: input.skewSeconds,
  });
  url.searchParams.set("jwt", jwt);
  return url.href;
}

function contextValue(context: Record<string, unknown>, granted: Set<string>, name: string): string {
  const [head = "", ...rest] = name.split(".");
  const scope = SCOPE_OF[head];
  if (!scope || !granted.has(scope)) return "";
  let value: unknown = context[head];
  for (const key of rest) {
    value = value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
  }
  return typeof value === "string" || typeof value === "number" ? String(value) : "";
}
