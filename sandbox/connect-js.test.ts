import { existsSync } from "node:fs";
import { chromium } from "@playwright/test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "./server.ts";
import { type FakeAddon, removeDir, startFakeAddon, tempDir } from "./test-support.ts";

// Debian's Chromium (npm test installs it before any suite runs), or CHROMIUM_PATH.
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

// The all.js stub and the page's message handler only meet in a browser.
describe("all.js in a browser", () => {
  it("has a browser to run in", () => expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: run npm test (it installs Chromium) or apt-get install chromium`).toBe(true));
  let sandbox: Sandbox;
  let addon: FakeAddon;
  let dir: string;
  let browser: Awaited<ReturnType<typeof chromium.launch>>;

  beforeAll(async () => {
    dir = await tempDir("sandbox-browser-");
    sandbox = await startSandbox({ dataDir: dir });
    addon = await startFakeAddon({ pathPrefix: "/app" });
    await sandbox.createRepo("acme", "site");
    await sandbox.installAddon(addon.descriptorUrl, { workspace: "acme" });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu"] });
  });
  afterAll(async () => {
    await browser?.close();
    await sandbox.close();
    await addon.close();
    await removeDir(dir);
  });

  const iframeHeight = (page: import("@playwright/test").Page) =>
    page.$eval("iframe", (frame) => Number.parseFloat((frame as HTMLIFrameElement).style.height));

  it("resizes the panel iframe to its content, and to the parent on sizeToParent", async () => {
    const page = await browser.newPage();
    await page.goto(`${sandbox.url}/acme/site`);
    await expect.poll(() => iframeHeight(page)).toBe(640);

    const panel = page.frames().find((f) => f.url().includes("/app/panel"));
    await panel?.evaluate(() => (window as unknown as { AP: { sizeToParent(): void } }).AP.sizeToParent());
    await expect.poll(() => iframeHeight(page)).not.toBe(640);
    await page.close();
  });

  it("shrinks the panel iframe when its content gets shorter", async () => {
    const page = await browser.newPage();
    await page.goto(`${sandbox.url}/acme/site`);
    await expect.poll(() => iframeHeight(page)).toBe(640);
    const panel = page.frames().find((f) => f.url().includes("/app/panel"));
    await panel?.evaluate(() => {
      (document.querySelector("body > div") as HTMLElement).style.height = "300px";
    });
    await expect.poll(() => iframeHeight(page)).toBe(300);
    await page.close();
  });
});
