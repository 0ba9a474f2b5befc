import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test as base } from "@playwright/test";
import { startHoistProcess, type HoistProcess } from "./hoist-process.ts";
import { SandboxAdmin } from "./sandbox-admin.ts";
import { getSite, siteHost, type SiteResponse } from "./site-bytes.ts";
import { WorkTree } from "./work-tree.ts";

/**
 * One Hoist (`npm start` in a child process) per worker, shared by the tests of a spec file.
 * A spec that needs other settings (a short function timeout) sets `hoistEnv`, which gives it
 * its own Hoist. Each test works in its own repository of the `demo` workspace local mode
 * creates and installs Hoist into, or in a workspace of its own.
 */

export const WORKSPACE = "demo";

export type SiteRepo = {
  workspace: string;
  slug: string;
  tree: WorkTree;
  /** Host of the production site, e.g. blog--demo.localhost:41234. */
  host: string;
  get(path?: string): Promise<SiteResponse>;
};

export type Stack = {
  hoist: HoistProcess;
  admin: SandboxAdmin;
  /** A new sandbox repository with an empty working tree whose origin is it. */
  repo(slug: string, workspace?: string): Promise<SiteRepo>;
};

type WorkerFixtures = { hoistEnv: Record<string, string>; stack: Stack };

export const test = base.extend<{ serverLogOnFailure: undefined }, WorkerFixtures>({
  // A failed test carries Hoist's log (its data folder is removed when the worker ends).
  serverLogOnFailure: [
    async ({ stack }, use, testInfo) => {
      await use(undefined);
      if (testInfo.status !== testInfo.expectedStatus) {
        const path = testInfo.outputPath("hoist-server.log");
        await writeFile(path, await stack.hoist.log());
        await testInfo.attach("hoist-server.log", { path, contentType: "text/plain" });
      }
    },
    { auto: true },
  ],
  hoistEnv: [{}, { scope: "worker", option: true }],
  stack: [
    async ({ hoistEnv }, use) => {
      const hoist = await startHoistProcess(hoistEnv);
      const admin = new SandboxAdmin(hoist.sandboxUrl);
      const stack: Stack = {
        hoist,
        admin,
        async repo(slug, workspace = WORKSPACE) {
          const { cloneUrl } = await admin.createRepo(workspace, slug);
          const tree = await WorkTree.create(join(hoist.dataDir, "work", workspace, slug), cloneUrl);
          const host = siteHost(workspace, slug, hoist.sitesDomain);
          return { workspace, slug, tree, host, get: (path = "/") => getSite(host, path) };
        },
      };
      try {
        await use(stack);
      } finally {
        await hoist.stop();
      }
    },
    { scope: "worker", timeout: 120_000 },
  ],
});

export { expect } from "@playwright/test";
