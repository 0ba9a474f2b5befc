import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { siteArchive } from "../deployer/fixtures/tar.ts";
import { getSite, startStack, type Stack } from "./harness.ts";

/** `hoist deploy` while a Hoist server owns the same data folder: one deployer, the true outcome, the URL that answers. */
describe("hoist deploy beside a running server", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => stack?.close());

  it("lets the server's runner deploy, prints the final outcome and the server's own site URL", { timeout: 120_000 }, async () => {
    const archive = join(stack.dir, "cli.tar.gz");
    writeFileSync(archive, siteArchive({ "index.html": "<h1>from the CLI</h1>" }));
    // No PORT, no HOIST_SITES_DOMAIN: the CLI learns them from the running server.
    const env: NodeJS.ProcessEnv = { ...process.env, HOIST_DATA_DIR: stack.hoist.config.dataDir, HOIST_LOG_LEVEL: "silent" };
    delete env.PORT;
    delete env.HOIST_SITES_DOMAIN;
    // Asynchronously: this process hosts the server the CLI talks to.
    const out = await promisify(execFile)(process.execPath, ["--openssl-legacy-provider", "--no-warnings", "--import", "tsx", "server/cli/hoist.ts", "deploy", archive, "--site", "acme/cli"], { env, timeout: 110_000 });
    const line = JSON.parse(out.stdout.trim().split("\n").at(-1)!) as { status: string; url: string; deployId: string };
    expect(line.status).toBe("succeeded");
    expect(line.url).toBe(`http://cli--acme.${stack.hoist.config.sitesDomain}/`);
    // Exactly one deployer ran it: one claim.
    expect((await stack.hoist.hoist.records.get("acme/cli", line.deployId))?.attempt).toBe(1);
    expect((await getSite(stack.hoist, `cli--acme.${stack.hoist.config.sitesDomain}`, "/")).body).toContain("from the CLI");
  });
});
