import { randomBytes } from "node:crypto";
import { expandRow, openRepoPage, screenshot } from "./support/panel.ts";
import { expect, test } from "./support/fixtures.ts";

/**
 * A site too big for the function's time budget. This spec's Hoist runs the deployer with a 4 s
 * function timeout and a 1 s margin, so the deployer's watchdog stops the deploy at about 3 s and
 * records how far it got. The site is made too big on ANY machine, not by hoping this one is slow:
 * the embedded S3 answers every write after 150 ms (HOIST_TEST_SLOW_STORAGE_MS, slow storage), so
 * 400 files at 16 uploads in flight need at least 3.75 s of storage time alone.
 */
test.use({ hoistEnv: { HOIST_LAMBDA_TIMEOUT: "4", HOIST_TIMEOUT_MARGIN_MS: "1000", HOIST_TEST_SLOW_STORAGE_MS: "150", HOIST_MAX_CONTINUATIONS: "0" } });

const BIG_FILES = 400;
const BIG_FILE_BYTES = 16 * 1024;

test("a site too big for the function timeout times out with progress and the limit, and the previous version still serves", async ({ page, stack }) => {
  const repo = await stack.repo("gallery");
  const index = "<!doctype html><meta charset=utf-8><title>Gallery</title><h1>Small gallery</h1>\n";
  await repo.tree.write({ "index.html": index });
  const small = await repo.tree.commitAndPush("Small gallery");
  await expect.poll(async () => (await stack.admin.statuses(repo.workspace, repo.slug, small)).map((s) => s.state)).toEqual(["SUCCESSFUL"]);

  const photos: Record<string, Buffer> = {};
  for (let i = 0; i < BIG_FILES; i++) photos[`photos/${String(i).padStart(4, "0")}.jpg`] = randomBytes(BIG_FILE_BYTES);
  await repo.tree.write({ ...photos, "index.html": index.replace("Small gallery", "Huge gallery") });
  const big = await repo.tree.commitAndPush("Add every photo at full size");
  await stack.admin.deliveries();

  await test.step("the panel shows the deploy timed out, how far it got, and the limit it hit", async () => {
    const panel = await openRepoPage(page, stack.hoist.sandboxUrl, repo.workspace, repo.slug);
    const row = panel.row("Add every photo at full size");
    await expect(row.getByText("Timed out", { exact: true })).toBeVisible();
    await expect(row).toContainText(/Timed out after [23]\.\d s at \d+% of the archive \([\d,]+ of [\d,]+ files seen were stored\)/);
    const detail = await expandRow(row);
    const why = detail.getByRole("region", { name: "Why this deploy timed out" });
    await expect(why).toContainText(/Limit hit: function timeout 4 s \(stopped at [23]\.\d s\)\./);
    await expect(why).toContainText(/Processed [\d.]+ [kM]B of [\d.]+ [kM]B of site files seen so far\./);
    await expect(why).toContainText(/Read [\d.]+ MB of the [\d.]+ MB archive \(\d+%\)\./);
    await expect(why).toContainText("Your live site was not changed.");
    await expect(why.getByRole("listitem")).toHaveCount(3);
    await expect(panel.live).toContainText(small.slice(0, 7));
    await screenshot(page, "3-timed-out");
  });

  await test.step("the previous version still serves, and the commit's status says it timed out", async () => {
    expect((await repo.get("/")).body.toString()).toBe(index);
    expect((await repo.get("/photos/0000.jpg")).status).toBe(404);
    const statuses = await stack.admin.statuses(repo.workspace, repo.slug, big);
    expect(statuses.map((s) => s.state)).toEqual(["FAILED"]);
    expect(statuses[0]?.description).toContain("Timed out (deploy.timed_out)");
  });
});
