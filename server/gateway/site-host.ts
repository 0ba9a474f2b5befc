import type { Config } from "../../core/config.ts";

/**
 * Which requests belong to the hosting gateway. Every name under the sites domain is a site
 * address (`<host label>.<sitesDomain>`); the bare domain belongs to the add-on's own routes.
 *
 * The Host header is read as sent — never X-Forwarded-Host, which a client controls — and
 * lowercased, since DNS names are case-insensitive. When the sites domain names a port
 * (`localhost:3000`, local mode) the port must match; when it names none, any port is
 * accepted, because a load balancer or browser may or may not write the default one.
 */

type HostConfig = Pick<Config, "sitesDomain">;

/** A stage host label as site.ts makes them: DNS-safe characters, no dots. */
const LABEL = /^[a-z0-9-]{1,300}$/;

function normaliseHost(host: string, sitesDomain: string): string {
  let h = host.trim().toLowerCase();
  if (!sitesDomain.includes(":")) h = h.replace(/:\d*$/, "");
  // A fully qualified name ("a.example.com.") names the same host.
  return h.replace(/\.(?=:\d*$|$)/, "");
}

/** The part of the host before `.<sitesDomain>`, or undefined when the host is not under it. */
function prefixUnder(host: string | undefined, config: HostConfig): string | undefined {
  if (!host) return undefined;
  const domain = config.sitesDomain.toLowerCase();
  const h = normaliseHost(host, domain);
  const suffix = `.${domain}`;
  if (h.length <= suffix.length || !h.endsWith(suffix)) return undefined;
  return h.slice(0, -suffix.length);
}

/** True when the request is for a site (any name under the sites domain), not for the add-on. */
export function isSiteHost(host: string | undefined, config: HostConfig): boolean {
  return prefixUnder(host, config) !== undefined;
}

/**
 * The stage host label a site host names, or undefined when it cannot name one (nested
 * subdomains, odd characters). Such hosts are still site hosts: they get the gateway's 404.
 */
export function stageLabelOf(host: string | undefined, config: HostConfig): string | undefined {
  const prefix = prefixUnder(host, config);
  return prefix !== undefined && LABEL.test(prefix) ? prefix : undefined;
}
