import { randomBytes } from "node:crypto";
import { expandRow, openRepoPage, screenshot } from "./support/panel.ts";
import { expect, test } from "./support/fixtures.ts";

/**
 * Scenarios 1 and 2 of issue 4: a push goes live (panel, site bytes, build status), a second
 * push reuses unchanged files, and rolling back from the panel serves the old site at once.
 */

function siteFiles(heading: string) {
  return {
    "index.html": `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Blog</title><link rel="stylesheet" href="style.css"></head>\n<body><h1>${heading}</h1><script src="app.js"></script></body></html>\n`,
    "style.css": `body { font: 16px/1.5 system-ui, sans-serif; margin: 2rem; }\n${Array.from({ length: 40 }, (_, i) => `.note-${i} { color: #0052cc; padding: ${i}px; }`).join("\n")}\n`,
    "app.js": `document.body.dataset.ready = "yes";\n${Array.from({ length: 40 }, (_, i) => `window.note${i} = "note number ${i}";`).join("\n")}\n`,
    "img/logo.png": randomBytes(6000),
  } as const;
}

const totalBytes = (files: Record<string, string | Buffer>) => Object.values(files).reduce((n, c) => n + Buffer.byteLength(c), 0);

test("a push goes live: the panel shows it, the site serves the pushed bytes, the commit gets a SUCCESSFUL status", async ({ page, stack }) => {
  const repo = await stack.repo("blog");
  const files = siteFiles("Hello from the first push");
  await repo.tree.write(files);
  const commit = await repo.tree.commitAndPush("First version of the blog");
  const siteUrl = `http://${repo.host}/`;

  await test.step("the panel on the repository page shows the deploy succeeded and is live", async () => {
    const panel = await openRepoPage(page, stack.hoist.sandboxUrl, repo.workspace, repo.slug);
    const row = panel.row("First version of the blog");
    await expect(row.getByText("Succeeded", { exact: true })).toBeVisible();
    await expect(row.getByText("Live", { exact: true })).toBeVisible();
    await expect(row.getByText(commit.slice(0, 7), { exact: true })).toBeVisible();
    await expect(row.getByTitle("Branch main")).toHaveText("main");
    await expect(row.getByTitle("Duration")).toHaveText(/^\d+ (ms|s)$/);
    await expect(panel.live).toContainText(commit.slice(0, 7));
    await expect(panel.live.getByRole("link", { name: `Open ${repo.host} in a new tab` })).toHaveAttribute("href", siteUrl);

    const detail = await expandRow(row);
    const sizes = detail.getByRole("definition");
    const size = (term: string) => detail.locator(".sizes__item").filter({ has: page.locator("dt", { hasText: term }) }).locator("dd");
    await expect(sizes).toHaveCount(5);
    await expect(size("Archive")).toHaveText(/^\d+(\.\d)? kB$/);
    await expect(size("Site")).toHaveText(`${(totalBytes(files) / 1000).toFixed(1)} kB`);
    await expect(size("Stored")).toContainText("saved by compression");
    await expect(size("Uploaded")).toContainText("4 new files, 0 of 4 reused");
    await expect(size("Files")).toHaveText("4 (3 compressed)");
    await screenshot(page, "1-first-deploy-succeeded");
  });

  await test.step("the site URL serves exactly the pushed files", async () => {
    for (const [path, content] of Object.entries(files)) {
      const res = await repo.get(`/${path}`);
      expect(res.status, path).toBe(200);
      expect(res.body.equals(Buffer.from(content)), `${path} is byte-identical`).toBe(true);
    }
    await page.goto(siteUrl);
    await expect(page.getByRole("heading", { name: "Hello from the first push" })).toBeVisible();
    await expect(page.locator("body")).toHaveAttribute("data-ready", "yes");
  });

  await test.step("the commit shows a SUCCESSFUL build status linking to the site", async () => {
    await expect.poll(async () => (await stack.admin.statuses(repo.workspace, repo.slug, commit)).map((s) => [s.state, s.url])).toEqual([["SUCCESSFUL", siteUrl]]);
    await page.goto(`${stack.hoist.sandboxUrl}/${repo.workspace}/${repo.slug}`);
    const status = page.locator(`.commit[data-commit="${commit}"]`).getByRole("link", { name: /SUCCESSFUL/ });
    await expect(status).toHaveAttribute("href", siteUrl);
    await screenshot(page, "1-repository-page-build-status");
  });
});

test("a second push reuses unchanged files, and rolling back from the panel serves the old site at once", async ({ page, stack }) => {
  const repo = await stack.repo("docs");
  const v1 = siteFiles("Version one");
  await repo.tree.write(v1);
  const first = await repo.tree.commitAndPush("Docs, version one");
  await expect.poll(async () => (await stack.admin.statuses(repo.workspace, repo.slug, first)).map((s) => s.state)).toEqual(["SUCCESSFUL"]);

  const v2 = { "index.html": v1["index.html"].replace("Version one", "Version two") };
  await repo.tree.write(v2);
  const second = await repo.tree.commitAndPush("Docs, version two");
  await stack.admin.deliveries();

  const panel = await openRepoPage(page, stack.hoist.sandboxUrl, repo.workspace, repo.slug);
  await test.step("the second deploy goes live and reuses the three unchanged files", async () => {
    const row = panel.row("Docs, version two");
    await expect(row.getByText("Succeeded", { exact: true })).toBeVisible();
    await expect(row.getByText("Live", { exact: true })).toBeVisible();
    const detail = await expandRow(row);
    await expect(detail.locator(".sizes__item").filter({ hasText: "Uploaded" }).locator("dd")).toContainText("1 new file, 3 of 4 reused");
    await expect(detail.getByRole("region", { name: "Changed files" })).toContainText("index.html");
    await screenshot(page, "2-second-deploy-reused");
    expect((await repo.get("/")).body.toString()).toContain("Version two");
  });

  await test.step("roll back to the first deploy, after confirming", async () => {
    const row = panel.row("Docs, version one");
    await expect(row.getByText("Live", { exact: true })).toHaveCount(0);
    const detail = await expandRow(row);
    await detail.getByRole("button", { name: `Roll back to ${first.slice(0, 7)}` }).click();
    const dialog = panel.frame.getByRole("dialog", { name: `Roll back to ${first.slice(0, 7)}?` });
    await expect(dialog).toBeVisible();
    await expect(dialog).toContainText(repo.host);
    await expect(dialog).toContainText(`It now serves ${second.slice(0, 7)}`);
    await screenshot(page, "2-rollback-confirm-dialog");
    await dialog.getByRole("button", { name: "Roll back", exact: true }).click();
    await expect(dialog).toHaveCount(0);
    await expect(panel.frame.getByText(`${first.slice(0, 7)} is live on ${repo.host} again.`)).toBeVisible();
  });

  await test.step("the old content is served at once, and the panel says which deploy is live", async () => {
    await expect.poll(async () => (await repo.get("/")).body.toString(), { timeout: 2000, intervals: [50] }).toBe(v1["index.html"]);
    await expect(panel.row("Docs, version one").getByText("Live", { exact: true })).toBeVisible();
    await expect(panel.row("Docs, version two").getByText("Live", { exact: true })).toHaveCount(0);
    await expect(panel.live).toContainText(first.slice(0, 7));
    await screenshot(page, "2-rolled-back");
  });
});
