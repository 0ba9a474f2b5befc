import type { Config } from "../../core/config.ts";

/**
 * Which Bitbucket hosts an installation may name. In production only Bitbucket Cloud itself
 * (`baseUrl` https://bitbucket.org, `baseApiUrl` https://api.bitbucket.org); locally only
 * loopback, where the sandbox runs. Hoist sends installation credentials to these hosts (token
 * exchange) and downloads archives from them, so a forged install naming another host is refused.
 */
export type ConnectHosts = { baseUrlHosts: string[]; apiHosts: string[]; protocols: string[] };

const LOOPBACK = ["127.0.0.1", "localhost", "[::1]"];

export function connectHosts(config: Pick<Config, "production">): ConnectHosts {
  if (config.production) return { baseUrlHosts: ["bitbucket.org"], apiHosts: ["api.bitbucket.org", "bitbucket.org"], protocols: ["https:"] };
  return { baseUrlHosts: LOOPBACK, apiHosts: LOOPBACK, protocols: ["http:", "https:"] };
}

/** True when `url` is an allowed Bitbucket origin for the given kind. */
export function isAllowedHostUrl(url: unknown, hosts: ConnectHosts, kind: "baseUrl" | "api"): boolean {
  if (typeof url !== "string") return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  const allowed = kind === "baseUrl" ? hosts.baseUrlHosts : hosts.apiHosts;
  return hosts.protocols.includes(parsed.protocol) && allowed.includes(parsed.hostname) && !parsed.username && !parsed.password;
}
