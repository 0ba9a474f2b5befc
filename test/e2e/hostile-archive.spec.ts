import { expandRow, openRepoPage, screenshot } from "./support/panel.ts";
import { expect, test } from "./support/fixtures.ts";

/** Scenario 4 of issue 4: a symlink committed to git fails the deploy by name; the site is unchanged. */

test("a pushed symlink fails the deploy as archive.symlink, shown in the panel, and the live site is unchanged", async ({ page, stack }) => {
  const repo = await stack.repo("shop");
  const index = "<!doctype html><meta charset=utf-8><title>Shop</title><h1>Open for business</h1>\n";
  await repo.tree.write({ "index.html": index, "prices.txt": "apples 3\npears 4\n" });
  const good = await repo.tree.commitAndPush("Open the shop");
  await expect.poll(async () => (await stack.admin.statuses(repo.workspace, repo.slug, good)).map((s) => s.state)).toEqual(["SUCCESSFUL"]);

  // `ln -s /etc/passwd passwd.txt && git add`: git stores a symlink (mode 120000), and so does its archive.
  await repo.tree.write({ "index.html": index.replace("Open for business", "Now with a symlink") });
  await repo.tree.symlink("passwd.txt", "/etc/passwd");
  const hostile = await repo.tree.commitAndPush("Link the password file");
  expect(await repo.tree.git("ls-tree", "HEAD", "passwd.txt")).toMatch(/^120000 blob /);
  await stack.admin.deliveries();

  await test.step("the panel shows the deploy failed, with its reason code and message", async () => {
    const panel = await openRepoPage(page, stack.hoist.sandboxUrl, repo.workspace, repo.slug);
    const row = panel.row("Link the password file");
    await expect(row.getByText("Failed", { exact: true })).toBeVisible();
    await expect(row).toContainText("archive.symlink");
    await expect(row.getByText("Live", { exact: true })).toHaveCount(0);
    const detail = await expandRow(row);
    const why = detail.getByRole("region", { name: "Why this deploy failed" });
    await expect(why.locator("code.reason-code")).toHaveText("archive.symlink");
    await expect(why.locator(".reason-message")).toContainText("passwd.txt");
    await expect(why).toContainText("Your live site was not changed.");
    await expect(detail.getByRole("button", { name: /^Roll back/ })).toHaveCount(0);
    await expect(panel.live).toContainText(good.slice(0, 7));
    await expect(panel.live).toContainText("archive.symlink — the live site was not changed.");
    await screenshot(page, "4-symlink-failed");
  });

  await test.step("the site still serves the previous deploy, and never the link", async () => {
    const home = await repo.get("/");
    expect(home.status).toBe(200);
    expect(home.body.toString()).toBe(index);
    expect((await repo.get("/passwd.txt")).status).toBe(404);
  });

  await test.step("the commit's build status is FAILED and names the reason", async () => {
    const statuses = await stack.admin.statuses(repo.workspace, repo.slug, hostile);
    expect(statuses.map((s) => s.state)).toEqual(["FAILED"]);
    expect(statuses[0]?.description).toContain("archive.symlink");
  });
});
