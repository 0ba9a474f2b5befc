import { defineConfig } from "@playwright/test";
import { ensureChromium } from "./test/e2e/support/chromium.ts";

/**
 * Browser end-to-end tests: the real panel in Debian's Chromium, driven by real `git push`es to
 * the sandbox Bitbucket. Chromium is found (or installed) by test/e2e/support/chromium.ts.
 */
export default defineConfig({
  testDir: "test/e2e",
  testMatch: "**/*.spec.ts",
  fullyParallel: false,
  workers: 1,
  timeout: 120_000,
  expect: { timeout: 20_000 },
  reporter: [["list"]],
  use: {
    headless: true,
    viewport: { width: 1200, height: 900 },
    launchOptions: {
      executablePath: ensureChromium(),
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    },
    trace: "off",
    screenshot: "only-on-failure",
  },
});
