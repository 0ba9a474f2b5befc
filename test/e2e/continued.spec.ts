import { randomBytes } from "node:crypto";
import { expandRow, openRepoPage } from "./support/panel.ts";
import { expect, test } from "./support/fixtures.ts";

/**
 * The site of timeout.spec.ts, too big for one run of the deployer (a 4 s function timeout with a
 * 1 s margin, and an embedded S3 that answers every write after 150 ms, so 400 files need at
 * least 3.75 s of storage time alone), but with continuations allowed (the default): at its time
 * limit a run saves a checkpoint and hands the deploy on to a new run, which picks up where it
 * stopped. The deploy succeeds after more than one run, and the panel says so.
 */
test.use({ hoistEnv: { HOIST_LAMBDA_TIMEOUT: "4", HOIST_TIMEOUT_MARGIN_MS: "1000", HOIST_TEST_SLOW_STORAGE_MS: "150" } });

const BIG_FILES = 400;
const BIG_FILE_BYTES = 16 * 1024;

test("a site too big for one run of the deployer is continued in new runs and goes live", async ({ page, stack }) => {
  const repo = await stack.repo("album");
  const index = "<!doctype html><meta charset=utf-8><title>Album</title><h1>Small album</h1>\n";
  await repo.tree.write({ "index.html": index });
  const small = await repo.tree.commitAndPush("Small album");
  await expect.poll(async () => (await stack.admin.statuses(repo.workspace, repo.slug, small)).map((s) => s.state)).toEqual(["SUCCESSFUL"]);

  const photos: Record<string, Buffer> = {};
  for (let i = 0; i < BIG_FILES; i++) photos[`photos/${String(i).padStart(4, "0")}.jpg`] = randomBytes(BIG_FILE_BYTES);
  const bigIndex = index.replace("Small album", "Huge album");
  await repo.tree.write({ ...photos, "index.html": bigIndex });
  const big = await repo.tree.commitAndPush("Add every photo at full size");
  await stack.admin.deliveries();

  await test.step("the commit's status says the deploy succeeded", async () => {
    await expect
      .poll(async () => (await stack.admin.statuses(repo.workspace, repo.slug, big)).map((s) => s.state), { timeout: 90_000 })
      .toEqual(["SUCCESSFUL"]);
  });

  await test.step("the panel shows it succeeded and is live, continued in new runs, with each run listed", async () => {
    const panel = await openRepoPage(page, stack.hoist.sandboxUrl, repo.workspace, repo.slug);
    const row = panel.row("Add every photo at full size");
    await expect(row.getByText("Succeeded", { exact: true })).toBeVisible();
    await expect(row.getByText("Live", { exact: true })).toBeVisible();
    await expect(row.getByText(/^Continued \d+ times?$/)).toBeVisible();
    await expect(panel.live).toContainText(big.slice(0, 7));

    const detail = await expandRow(row);
    await expect(detail.getByRole("region", { name: "Why this deploy timed out" })).toHaveCount(0);
    const runs = detail.getByRole("region", { name: "Runs" }).getByRole("table", { name: "Runs of this deploy" });
    await expect(runs).toBeVisible();
    const body = runs.locator("tbody tr");
    const count = await body.count();
    expect(count).toBeGreaterThanOrEqual(2);
    const continued = Number(/Continued (\d+) times?/.exec((await row.locator(".row__continued").textContent()) ?? "")?.[1]);
    expect(count).toBe(continued + 1);
    for (let i = 0; i < count; i++) {
      const cells = body.nth(i).locator("th, td");
      await expect(cells.nth(0)).toHaveText(String(i + 1));
      await expect(cells.nth(1)).toHaveText(/^\d+(\.\d)? (ms|s)$/);
      await expect(cells.nth(5)).toHaveText(i === count - 1 ? "finished" : "handed on");
    }
    // Every run after the first takes over what the runs before it stored.
    await expect(body.nth(1).locator("td").nth(2)).not.toHaveText("0");
  });

  await test.step("the site serves the new index and every photo", async () => {
    expect((await repo.get("/")).body.toString()).toBe(bigIndex);
    const first = await repo.get("/photos/0000.jpg");
    expect(first.status).toBe(200);
    expect(first.body.equals(photos["photos/0000.jpg"] as Buffer)).toBe(true);
    const last = await repo.get(`/photos/${String(BIG_FILES - 1).padStart(4, "0")}.jpg`);
    expect(last.status).toBe(200);
    expect(last.body.equals(photos[`photos/${String(BIG_FILES - 1).padStart(4, "0")}.jpg`] as Buffer)).toBe(true);
  });
});
