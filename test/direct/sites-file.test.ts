import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../core/config.ts";
import { checkHubSignature, hubSignature } from "../../server/push/hub-signature.ts";
import { loadDirectSites, parseDirectSites } from "../../server/owners/direct-sites-file.ts";

const SECRET = "s3cret-s3cret-s3cret-0123456789";
const TOKEN = "ATCTT3xFfGN0-the-access-token";
const good = { site: "Acme/Website", webhookSecret: SECRET, accessToken: TOKEN };

describe("HOIST_DIRECT_SITES_FILE", () => {
  it("is one optional setting, the file's path", () => {
    expect(loadConfig({}).directSitesFile).toBeUndefined();
    expect(loadConfig({ HOIST_DIRECT_SITES_FILE: "/etc/hoist/sites.json" }).directSitesFile).toBe("/etc/hoist/sites.json");
  });

  it("reads sites with Bitbucket Cloud defaults and a direct owner key", () => {
    const [site] = parseDirectSites(JSON.stringify([{ ...good, branches: ["main", "release/*"] }]), "sites.json");
    expect(site).toMatchObject({
      siteId: "acme/website",
      owner: "direct:acme/website",
      branches: ["main", "release/*"],
      credentials: { kind: "repository-token", baseUrl: "https://bitbucket.org", baseApiUrl: "https://api.bitbucket.org" },
    });
  });

  it("never shows a secret when a site is serialised (e.g. logged by mistake)", () => {
    const [site] = parseDirectSites(JSON.stringify([good]), "sites.json");
    const text = JSON.stringify({ site, creds: site!.credentials });
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(TOKEN);
  });

  const hostile: [string, unknown, string[]][] = [
    ["a missing secret", [{ site: "acme/a", accessToken: TOKEN }], ["entry 0 (acme/a)", "webhookSecret"]],
    ["a short secret", [{ site: "acme/a", webhookSecret: "short", accessToken: TOKEN }], ["entry 0 (acme/a)", "webhookSecret", "16"]],
    ["a bad site name", [good, { ...good, site: "acme" }], ["entry 1 (acme)", "site", "<workspace>/<repo>"]],
    ["a traversal slug", [{ ...good, site: "../etc" }], ["entry 0", "site"]],
    ["an unknown field", [{ ...good, secret: SECRET }], ["entry 0", "secret"]],
    ["a bad URL", [{ ...good, baseUrl: "ftp://x" }], ["entry 0", "baseUrl"]],
    ["a repeated site", [good, { ...good, site: "acme/website" }], ["entry 1", "repeats site acme/website"]],
    ["an object instead of a list", { sites: [good] }, ["JSON array"]],
  ];
  for (const [what, value, mentions] of hostile) {
    it(`refuses ${what}, naming the entry and field and no secret`, () => {
      let err: unknown;
      try {
        parseDirectSites(JSON.stringify(value), "/etc/hoist/sites.json");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      const message = (err as Error).message;
      for (const m of ["HOIST_DIRECT_SITES_FILE (/etc/hoist/sites.json)", ...mentions]) expect(message).toContain(m);
      expect(message).not.toContain(SECRET);
      expect(message).not.toContain(TOKEN);
    });
  }

  it("does not quote the file when its JSON is broken (Node's parser would)", () => {
    expect(() => parseDirectSites(`[{"site": "acme/a", "webhookSecret": "${SECRET}" "accessToken": 1}]`, "f")).toThrowError(
      expect.objectContaining({ message: expect.not.stringContaining(SECRET) }),
    );
  });

  it("names the path when the file cannot be read", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hoist-sites-"));
    try {
      expect(() => loadDirectSites(join(dir, "nope.json"))).toThrowError(/HOIST_DIRECT_SITES_FILE .*nope\.json.* cannot be read \(ENOENT\)/);
      await writeFile(join(dir, "ok.json"), JSON.stringify([good]));
      expect(loadDirectSites(join(dir, "ok.json"))).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("X-Hub-Signature", () => {
  const body = Buffer.from('{"push":{}}');
  it("accepts Bitbucket's sha256=<hex> of the raw body, in either hex case", () => {
    expect(checkHubSignature(body, hubSignature(body, SECRET), SECRET)).toEqual({ ok: true });
    expect(checkHubSignature(body, hubSignature(body, SECRET).toUpperCase().replace("SHA256", "sha256"), SECRET)).toEqual({ ok: true });
  });
  it("refuses a missing header, another algorithm, a truncated digest and another secret", () => {
    for (const header of [undefined, "", `sha1=${"0".repeat(40)}`, `sha512=${"0".repeat(128)}`, hubSignature(body, SECRET).slice(0, -2), hubSignature(body, `${SECRET}!`), hubSignature(Buffer.from('{"push":{} }'), SECRET)]) {
      expect(checkHubSignature(body, header, SECRET).ok).toBe(false);
    }
  });
});
