import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { expect, type FrameLocator, type Locator, type Page } from "@playwright/test";

/**
 * The Hoist panel as a person sees it: the sandbox repository page with Hoist's web panel in an
 * iframe (Connect `webPanels`), or the add-on's full "Deploys" repository page (`repoPages`).
 */

export const ADDON_KEY = "hoist-deploys";
const PANEL_MODULE = "hoist-deploys-panel";
const PAGE_MODULE = "hoist-deploys-page";
const SCREENSHOTS = resolve(import.meta.dirname, "../screenshots");

export type Panel = {
  frame: FrameLocator;
  /** The "Deploys" list; rows are its list items, newest first. */
  history: Locator;
  /** The "Live deploy" section up top. */
  live: Locator;
  /** The row of the deploy whose commit message is `message`. */
  row(message: string): Locator;
};

function panelIn(frame: FrameLocator): Panel {
  const history = frame.getByRole("region", { name: "Deploys" });
  return {
    frame,
    history,
    live: frame.getByRole("region", { name: "Live deploy" }),
    row: (message) => history.getByRole("listitem").filter({ hasText: message }),
  };
}

/** The repository overview page, with the narrow panel (five newest deploys). */
export async function openRepoPage(page: Page, sandboxUrl: string, workspace: string, repo: string): Promise<Panel> {
  await page.goto(`${sandboxUrl}/${workspace}/${repo}`);
  return panelIn(page.frameLocator(`iframe[data-module="${PANEL_MODULE}"]`));
}

/** The add-on's full "Deploys" page: history with "Load more", trend chart. */
export async function openDeploysPage(page: Page, sandboxUrl: string, workspace: string, repo: string): Promise<Panel> {
  await page.goto(`${sandboxUrl}/${workspace}/${repo}/addon/${ADDON_KEY}/${PAGE_MODULE}`);
  return panelIn(page.frameLocator(`iframe[data-module="${PAGE_MODULE}"]`));
}

/** Opens a row's detail (sizes, outcome, actions) unless it is open already. */
export async function expandRow(row: Locator): Promise<Locator> {
  const toggle = row.getByRole("button", { expanded: false }).first();
  if (await toggle.isVisible()) await toggle.click();
  const detail = row.locator(".detail");
  await expect(detail).toBeVisible();
  await expect(detail.getByText("Loading details…")).toHaveCount(0);
  return detail;
}

/** A full-page screenshot (the panel iframe sizes itself to its content) for a person to look at. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // Let the iframe's resize message land before the picture.
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
