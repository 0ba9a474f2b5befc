import { openRepoPage, screenshot } from "./support/panel.ts";
import { expect, test } from "./support/fixtures.ts";

/**
 * Scenario 5 of issue 4: uninstall and re-install Hoist (the sandbox's admin API, as a workspace
 * admin would in Bitbucket's settings) — the deploy history is kept, and a push made while Hoist
 * was not installed deploys nothing. Uses a workspace of its own, so other specs keep their install.
 */

const WORKSPACE = "acme";

test("after uninstall and re-install the history is kept, and a push made meanwhile did not deploy", async ({ page, stack }) => {
  await stack.admin.createWorkspace(WORKSPACE);
  await stack.admin.install(stack.hoist.descriptorUrl, WORKSPACE);
  const repo = await stack.repo("portfolio", WORKSPACE);

  await test.step("installed, the panel shows the one step to start", async () => {
    await expect(async () => {
      const panel = await openRepoPage(page, stack.hoist.sandboxUrl, repo.workspace, repo.slug);
      await expect(panel.frame.getByRole("heading", { name: "Push to main to deploy" })).toBeVisible({ timeout: 2000 });
    }).toPass();
    await screenshot(page, "5-empty-state");
  });

  const v1 = "<!doctype html><meta charset=utf-8><title>Portfolio</title><h1>Portfolio v1</h1>\n";
  await repo.tree.write({ "index.html": v1 });
  const first = await repo.tree.commitAndPush("Portfolio v1");
  await expect.poll(async () => (await stack.admin.statuses(repo.workspace, repo.slug, first)).map((s) => s.state)).toEqual(["SUCCESSFUL"]);

  await test.step("uninstalled, the repository page has no Hoist panel and a push deploys nothing", async () => {
    const inst = (await stack.admin.installations()).find((i) => i.workspace === WORKSPACE);
    if (!inst) throw new Error(`Hoist is not installed in ${WORKSPACE}`);
    await stack.admin.uninstall(inst.clientKey);
    const deliveriesBefore = (await stack.admin.deliveries()).filter((d) => d.repository === `${WORKSPACE}/${repo.slug}`).length;

    await repo.tree.write({ "index.html": v1.replaceAll("v1", "v2") });
    const second = await repo.tree.commitAndPush("Portfolio v2, pushed while uninstalled");
    const deliveriesAfter = (await stack.admin.deliveries()).filter((d) => d.repository === `${WORKSPACE}/${repo.slug}`).length;
    expect(deliveriesAfter).toBe(deliveriesBefore);

    await page.goto(`${stack.hoist.sandboxUrl}/${repo.workspace}/${repo.slug}`);
    await expect(page.locator(`.commit[data-commit="${second}"]`)).toBeVisible();
    await expect(page.locator("iframe[data-addon]")).toHaveCount(0);
    await screenshot(page, "5-uninstalled-repository-page");
    expect(await stack.admin.statuses(repo.workspace, repo.slug, second)).toEqual([]);
    expect((await repo.get("/")).body.toString()).toBe(v1);
  });

  await test.step("re-installed, the panel lists the earlier deploy and nothing from the uninstalled push", async () => {
    await stack.admin.install(stack.hoist.descriptorUrl, WORKSPACE);
    await expect(async () => {
      const panel = await openRepoPage(page, stack.hoist.sandboxUrl, repo.workspace, repo.slug);
      await expect(panel.row("Portfolio v1").getByText("Live", { exact: true })).toBeVisible({ timeout: 2000 });
    }).toPass();
    const panel = await openRepoPage(page, stack.hoist.sandboxUrl, repo.workspace, repo.slug);
    await expect(panel.history.getByRole("listitem")).toHaveCount(1);
    await expect(panel.row("Portfolio v1").getByText("Succeeded", { exact: true })).toBeVisible();
    await expect(panel.row("pushed while uninstalled")).toHaveCount(0);
    await expect(panel.live).toContainText(first.slice(0, 7));
    await screenshot(page, "5-reinstalled-history-kept");
    expect((await repo.get("/")).body.toString()).toBe(v1);
  });

  await test.step("the next push after re-installing deploys again", async () => {
    await repo.tree.write({ "index.html": v1.replaceAll("v1", "v3") });
    const third = await repo.tree.commitAndPush("Portfolio v3");
    await expect.poll(async () => (await stack.admin.statuses(repo.workspace, repo.slug, third)).map((s) => s.state)).toEqual(["SUCCESSFUL"]);
    expect((await repo.get("/")).body.toString()).toContain("Portfolio v3");
  });
});
