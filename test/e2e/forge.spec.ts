import { join } from "node:path";
import { expandRow, screenshot } from "./support/panel.ts";
import { getSite, siteHost } from "./support/site-bytes.ts";
import { WorkTree } from "./support/work-tree.ts";
import { expect, test } from "./support/fixtures.ts";

/**
 * The panel inside Bitbucket through the Forge app, as `npm start` sets it up: the app installed
 * in workspace `forge-demo` of the sandbox (which plays Forge: keys, push events, Custom UI and its
 * bridge). A `git push` arrives as Forge's push event and goes live; the overview card and the
 * "Deploys" page on the sandbox's repository page show it; rollback works from there.
 */
const WORKSPACE = "forge-demo";

test("Forge app: a push arrives as a Forge event, the card and the Deploys page show it, rollback works", async ({ page, stack }) => {
  const { cloneUrl } = await stack.admin.createRepo(WORKSPACE, "handbook");
  const tree = await WorkTree.create(join(stack.hoist.dataDir, "work", WORKSPACE, "handbook"), cloneUrl);
  const host = siteHost(WORKSPACE, "handbook", stack.hoist.sitesDomain);
  page.on("dialog", (dialog) => void dialog.accept());

  await test.step("a push goes live, and the overview card on the repository page shows it", async () => {
    await tree.write({ "index.html": "<h1>Handbook, first edition</h1>" });
    await tree.commitAndPush("First edition");
    await expect.poll(async () => (await getSite(host, "/")).body.toString(), { timeout: 30_000 }).toContain("first edition");
    await page.goto(`${stack.hoist.sandboxUrl}/${WORKSPACE}/handbook`);
    const card = page.frameLocator('iframe[data-module="hoist-overview"]');
    await expect(card.getByRole("region", { name: "Live deploy" }).getByText("First edition")).toBeVisible();
    await expect(card.getByRole("link", { name: new RegExp(host.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")) }).first()).toBeVisible();
    await screenshot(page, "15-forge-overview-card");
  });

  await test.step("the Deploys page shows the history as pushes arrive", async () => {
    await page.getByRole("link", { name: "Deploys", exact: true }).click();
    const panel = page.frameLocator('iframe[data-module="hoist-deploys"]');
    const history = panel.getByRole("region", { name: "Deploys" });
    await expect(history.getByRole("listitem").filter({ hasText: "First edition" }).getByText("Succeeded", { exact: true })).toBeVisible();
    await tree.write({ "index.html": "<h1>Handbook, second edition</h1>" });
    await tree.commitAndPush("Second edition");
    // The page polls while it is open: the new deploy appears without a reload.
    await expect(history.getByRole("listitem").filter({ hasText: "Second edition" }).getByText("Succeeded", { exact: true })).toBeVisible({ timeout: 30_000 });
    await expect.poll(async () => (await getSite(host, "/")).body.toString()).toContain("second edition");
    await screenshot(page, "15-forge-deploys-page");
  });

  await test.step("roll back to the first edition from inside Bitbucket", async () => {
    const panel = page.frameLocator('iframe[data-module="hoist-deploys"]');
    const first = panel.getByRole("region", { name: "Deploys" }).getByRole("listitem").filter({ hasText: "First edition" });
    const detail = await expandRow(first);
    await detail.getByRole("button", { name: /^Roll back to / }).click();
    await panel.getByRole("dialog").getByRole("button", { name: "Roll back", exact: true }).click();
    await expect.poll(async () => (await getSite(host, "/")).body.toString()).toContain("first edition");
  });

  await test.step("the settings page says the repository is connected and lets the admin disconnect it", async () => {
    await page.goto(`${stack.hoist.sandboxUrl}/${WORKSPACE}/handbook/forge/hoist-settings`);
    const settings = page.frameLocator('iframe[data-module="hoist-settings"]');
    await expect(settings.getByText(/connected/i).first()).toBeVisible();
    await settings.getByRole("button", { name: /Disconnect/ }).click();
    await expect(settings.getByRole("button", { name: /Connect/ })).toBeVisible();
    await screenshot(page, "15-forge-settings");
  });
});
