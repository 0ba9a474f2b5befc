import { join } from "node:path";
import { expandRow, screenshot } from "./support/panel.ts";
import { getSite, siteHost } from "./support/site-bytes.ts";
import { WorkTree } from "./support/work-tree.ts";
import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { expect, test } from "./support/fixtures.ts";

/**
 * Hoist without Connect, as a new team finds it: sign in with Bitbucket (the sandbox's consent
 * page), add a repository, push, see it go live with its sizes, roll back, disconnect.
 */
test("sign in, add a repository, push, watch it go live, roll back, disconnect", async ({ page, stack }) => {
  await stack.admin.createWorkspace("team");
  const { cloneUrl } = await stack.admin.createRepo("team", "docs");
  const tree = await WorkTree.create(join(stack.hoist.dataDir, "work", "team", "docs"), cloneUrl);
  const host = siteHost("team", "docs", stack.hoist.sitesDomain);
  page.on("dialog", (dialog) => void dialog.accept());

  await test.step("sign in through Bitbucket", async () => {
    await page.goto(`${stack.hoist.hoistUrl}/dashboard`);
    await page.getByRole("link", { name: "Sign in with Bitbucket" }).click();
    await expect(page.getByRole("heading", { name: /Authorize/ })).toBeVisible();
    await page.getByLabel("Sign in as").selectOption("sandbox-user");
    await page.getByRole("button", { name: "Grant access" }).click();
    await expect(page.getByRole("heading", { name: "Sites" })).toBeVisible();
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, "14-dashboard-signed-in");
  });

  await test.step("add the repository: Hoist puts a push webhook on it", async () => {
    await page.getByRole("link", { name: "Add site" }).click();
    await page.getByLabel("Repository", { exact: true }).fill("docs");
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.getByRole("button", { name: "Connect team/docs" }).click();
    await expect(page.getByRole("heading", { name: "Push to main to deploy" })).toBeVisible();
    expect(await stack.admin.webhooks("team", "docs")).toEqual([expect.objectContaining({ url: `${stack.hoist.hoistUrl}/hooks/bitbucket/team/docs`, events: ["repo:push"] })]);
  });

  await test.step("a push goes live, and the dashboard shows it with its sizes", async () => {
    const history = page.getByRole("region", { name: "Deploys" });
    await tree.write({ "index.html": "<h1>Docs, first edition</h1>" });
    await tree.commitAndPush("First edition");
    // The dashboard sees a new push on its own (it polls while the page is open).
    await expect(history.getByRole("listitem").filter({ hasText: "First edition" }).getByText("Succeeded", { exact: true })).toBeVisible();
    await tree.write({ "index.html": "<h1>Docs, second edition</h1>", "guide.html": "<p>guide</p>" });
    await tree.commitAndPush("Second edition");
    const second = history.getByRole("listitem").filter({ hasText: "Second edition" });
    await expect(second.getByText("Succeeded", { exact: true })).toBeVisible();
    const detail = await expandRow(second);
    await expect(detail.locator(".sizes__item").filter({ has: page.locator("dt", { hasText: /^Files$/ }) }).locator("dd")).toHaveText(/^2 /);
    await expect.poll(async () => (await getSite(host, "/")).body.toString()).toContain("second edition");
    // The site page with its history, trend chart and an open deploy: labels, names, contrast.
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, "14-dashboard-deploy-live");
  });

  await test.step("roll back to the first edition from the dashboard", async () => {
    const first = page.getByRole("region", { name: "Deploys" }).getByRole("listitem").filter({ hasText: "First edition" });
    const detail = await expandRow(first);
    await detail.getByRole("button", { name: /^Roll back to / }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Roll back", exact: true }).click();
    await expect.poll(async () => (await getSite(host, "/")).body.toString()).toContain("first edition");
  });

  await test.step("on a phone-width screen the site page fits: no sideways scrolling, actions still reachable", async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    await expect(page.getByRole("region", { name: "Deploys" }).getByRole("listitem").first()).toBeVisible();
    expect(await sidewaysOverflow(page)).toBe(0);
    const disconnect = page.getByRole("button", { name: "Disconnect" });
    await disconnect.scrollIntoViewIfNeeded();
    await expect(disconnect).toBeInViewport({ ratio: 1 });
    await screenshot(page, "14-dashboard-phone");
  });

  await test.step("disconnect: the webhook is gone from Bitbucket, the site keeps serving", async () => {
    await page.getByRole("button", { name: "Disconnect" }).click();
    await expect(page.getByRole("heading", { name: "Sites" })).toBeVisible();
    await expect.poll(() => stack.admin.webhooks("team", "docs")).toEqual([]);
    expect((await getSite(host, "/")).body.toString()).toContain("first edition");
    // The sites page at phone width fits too.
    expect(await sidewaysOverflow(page)).toBe(0);
  });
});

/**
 * What axe-core (the WCAG 2 A/AA rules: names, labels, roles, contrast) finds wrong on the page,
 * as "rule: element" lines so a failure says where; serious and critical findings only.
 */
async function accessibilityProblems(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa"]).analyze();
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(" ")}`));
}

/** How many CSS pixels the page is wider than the screen (0 when nothing needs sideways scrolling). */
function sidewaysOverflow(page: Page): Promise<number> {
  return page.evaluate(() => Math.max(0, document.documentElement.scrollWidth - document.documentElement.clientWidth));
}
