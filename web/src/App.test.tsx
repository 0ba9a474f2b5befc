// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { FetchLike } from "./api/client.ts";
import type { DeployView } from "./api/types.ts";
import { shortCommit } from "./components/CommitHash.tsx";
import { CONFLICT_MESSAGE } from "./components/RollbackDialog.tsx";
import { apiError, json } from "./dev/fixture-fetch.ts";
import { HOSTILE, HOSTILE_SCRIPT, sampleDeploys } from "./dev/fixtures.ts";
import { renderApp } from "./test/harness.tsx";

afterEach(cleanup);

const deploys = sampleDeploys();
const byStatus = (status: DeployView["status"]) => deploys.find((d) => d.status === status) as DeployView;
const liveProd = deploys.find((d) => d.stage === "production" && d.live) as DeployView;
const olderSucceeded = deploys.find((d) => d.stage === "production" && d.status === "succeeded" && !d.live) as DeployView;

async function ready() {
  await screen.findByRole("heading", { name: "Deploys" });
}

function row(deploy: DeployView): HTMLElement {
  const rows = screen.getAllByRole("listitem").filter((li) => li.dataset.status !== undefined);
  const found = rows.find((li) => li.querySelector(".row__toggle code")?.getAttribute("title") === deploy.commit);
  if (!found) throw new Error(`no row for ${deploy.commit}`);
  return found;
}

async function expand(deploy: DeployView) {
  fireEvent.click(within(row(deploy)).getAllByRole("button")[0] as HTMLElement);
}

describe("the deploy panel", () => {
  it("shows a fixed-height skeleton while loading", () => {
    renderApp({ scenario: "loading" });
    const status = screen.getByRole("status");
    expect(status.textContent).toContain("Loading deploys…");
    expect(status.getAttribute("aria-busy")).toBe("true");
    expect(status.style.minHeight).toBe(`${120 + 8 * 64}px`);
  });

  it("shows the one step to start when the repository never deployed", async () => {
    renderApp({ scenario: "empty" });
    expect(await screen.findByRole("heading", { name: "Push to main to deploy" })).toBeTruthy();
    expect(screen.getByText("git push origin main")).toBeTruthy();
  });

  it("shows an error with Retry when the API is unreachable, and recovers", async () => {
    let down = true;
    const wrapFetch = (f: FetchLike): FetchLike => (input, init) => (down ? Promise.reject(new TypeError("Failed to fetch")) : f(input, init));
    renderApp({ wrapFetch });
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Hoist could not be reached");
    expect(alert.textContent).toContain("network.unreachable");
    down = false;
    fireEvent.click(screen.getByRole("button", { name: "Retry" }));
    await ready();
    expect(screen.queryByText("Couldn’t load deploys")).toBeNull();
  });

  it("lists deploys newest first with a lozenge for each of the six statuses", async () => {
    renderApp();
    await ready();
    const history = screen.getByRole("region", { name: "Deploys" });
    for (const label of ["Queued", "Running", "Succeeded", "Failed", "Timed out", "Superseded"]) {
      expect(within(history).getAllByText(label).length).toBeGreaterThan(0);
    }
    const times = [...history.querySelectorAll(".row__when time")].map((t) => t.getAttribute("dateTime") ?? "");
    expect(times.length).toBe(20);
    expect([...times].sort().reverse()).toEqual(times);
    expect(row(byStatus("running")).textContent).toContain("812 files published, 62% of the archive read");
    const first = history.querySelector(".row__when time");
    expect(first?.getAttribute("title")).toMatch(/2026/);
  });

  it("explains a timeout in plain numbers and says what to do", async () => {
    renderApp();
    await ready();
    const timedOut = byStatus("timed_out");
    expect(row(timedOut).textContent).toContain("Timed out after 58 s at 61% of the archive (12,034 of 19,700 files seen were stored)");
    await expand(timedOut);
    const why = await screen.findByRole("region", { name: "Why this deploy timed out" });
    expect(why.textContent).toContain("Timed out after 58 s at 61% of the archive (12,034 of 19,700 files seen were stored)");
    expect(why.textContent).toContain("Limit hit: function timeout 60 s (stopped at 58 s).");
    expect(why.textContent).toContain("Read 402 MB of the 655 MB archive (61%).");
    expect(why.textContent).toContain("Shrink the site");
    expect(why.textContent).toContain('{ "directory": "dist" }');
    expect(why.textContent).toContain("Raise the function timeout");
  });

  it("shows a failure's reason code, message and a hint for its family", async () => {
    renderApp();
    await ready();
    const failed = deploys.find((d) => d.reason === "limits.file_too_large") as DeployView;
    await expand(failed);
    const why = await screen.findByRole("region", { name: "Why this deploy failed" });
    expect(why.textContent).toContain("limits.file_too_large");
    expect(why.textContent).toContain('"videos/launch.mp4" is 212 MB; the limit per file is 100 MB.');
    expect(why.textContent).toContain("over one of Hoist's size limits");
  });

  it("shows sizes with the compression saving and what was reused", async () => {
    renderApp();
    await ready();
    await expand(liveProd);
    const sizes = await screen.findByLabelText("Deploy sizes");
    const s = liveProd.stats as NonNullable<DeployView["stats"]>;
    const saving = Math.round(((s.originalBytes - s.storedBytes) / s.originalBytes) * 100);
    expect(sizes.textContent).toContain("Archive14.8 MB");
    expect(sizes.textContent).toContain("Site41.2 MB");
    expect(sizes.textContent).toContain(`(${saving}% saved by compression)`);
    expect(sizes.textContent).toContain(`${s.uploadedBlobs} new files, ${s.reusedBlobs.toLocaleString("en-US")} of ${(s.reusedBlobs + s.uploadedBlobs).toLocaleString("en-US")} reused`);
    expect(sizes.textContent).toContain("Files1,894");
  });

  it("opens a detail with the log, the changed files and the build status link", async () => {
    renderApp();
    await ready();
    await expand(liveProd);
    const log = await screen.findByRole("list", { name: "Deploy log" });
    expect(log.textContent).toContain("Published: live pointer moved");
    expect(screen.getByRole("region", { name: "Changed files" }).textContent).toContain("assets/app.4f9c2e1b.js");
    const link = screen.getByRole("link", { name: `Build status of commit ${shortCommit(liveProd.commit)} in Bitbucket` });
    expect(link.getAttribute("href")).toBe(liveProd.commitUrl);
    expect(link.getAttribute("rel")).toBe("noopener noreferrer");
  });

  it("rolls back after a confirm, sending the live deploy it expects to replace", async () => {
    const h = renderApp();
    await ready();
    await expand(olderSucceeded);
    fireEvent.click(await screen.findByRole("button", { name: `Roll back to ${shortCommit(olderSucceeded.commit)}` }));
    const dialog = screen.getByRole("dialog");
    expect(dialog.textContent).toContain(`Roll back to ${shortCommit(olderSucceeded.commit)}?`);
    expect(document.activeElement?.textContent).toBe("Cancel");
    fireEvent.click(within(dialog).getByRole("button", { name: "Roll back" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    const post = h.calls.find((c) => c.method === "POST");
    expect(post?.path).toBe("/api/sites/acme/website/rollback");
    expect(post?.body).toEqual({ deployId: olderSucceeded.deployId, stage: "production", expectedLiveDeployId: liveProd.deployId });
    expect((await screen.findByText(/is live on website--acme.hoist.example again/)).textContent).toContain(shortCommit(olderSucceeded.commit));
    await waitFor(() => expect(within(row(olderSucceeded)).queryByText("Live")).toBeTruthy());
  });

  it("says someone else changed the live deploy when the rollback conflicts", async () => {
    renderApp({ override: (c) => (c.method === "POST" ? apiError(409, "rollback.conflict", "live deploy changed") : undefined) });
    await ready();
    await expand(olderSucceeded);
    fireEvent.click(await screen.findByRole("button", { name: `Roll back to ${shortCommit(olderSucceeded.commit)}` }));
    fireEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Roll back" }));
    expect((await screen.findByRole("alert")).textContent).toBe(CONFLICT_MESSAGE);
    fireEvent.click(screen.getByRole("button", { name: "Refresh" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
  });

  it("keeps focus inside the confirm dialog and cancels on Esc", async () => {
    const h = renderApp();
    await ready();
    await expand(olderSucceeded);
    const opener = await screen.findByRole("button", { name: `Roll back to ${shortCommit(olderSucceeded.commit)}` });
    opener.focus();
    fireEvent.click(opener);
    const dialog = screen.getByRole("dialog");
    const [confirm, cancel] = within(dialog).getAllByRole("button") as [HTMLElement, HTMLElement];
    expect(document.activeElement).toBe(cancel);
    fireEvent.keyDown(cancel, { key: "Tab" });
    expect(document.activeElement).toBe(confirm);
    fireEvent.keyDown(confirm, { key: "Tab", shiftKey: true });
    expect(document.activeElement).toBe(cancel);
    fireEvent.keyDown(cancel, { key: "Escape" });
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(document.activeElement).toBe(opener);
    expect(h.calls.some((c) => c.method === "POST")).toBe(false);
  });

  it("offers no rollback for the live deploy", async () => {
    renderApp();
    await ready();
    await expand(liveProd);
    await screen.findByRole("list", { name: "Deploy log" });
    expect(screen.queryByRole("button", { name: /^Roll back/ })).toBeNull();
  });

  it("redeploys a commit and shows the new queued deploy", async () => {
    const h = renderApp();
    await ready();
    const failed = deploys.find((d) => d.reason === "limits.file_too_large") as DeployView;
    await expand(failed);
    fireEvent.click(await screen.findByRole("button", { name: `Redeploy ${shortCommit(failed.commit)}` }));
    expect(await screen.findByText(`Redeploy of ${shortCommit(failed.commit)} queued.`)).toBeTruthy();
    expect(h.calls.find((c) => c.method === "POST")?.body).toEqual({ commit: failed.commit, branch: failed.branch });
    expect(screen.getAllByText("Queued").length).toBeGreaterThanOrEqual(2);
  });

  it("loads the next page with the cursor", async () => {
    const h = renderApp();
    await ready();
    expect(document.querySelectorAll("li[data-status]").length).toBe(20);
    fireEvent.click(screen.getByRole("button", { name: "Load more" }));
    await waitFor(() => expect(document.querySelectorAll("li[data-status]").length).toBe(25));
    const more = h.calls.filter((c) => c.path.endsWith("/deploys")).at(-1);
    expect(more?.query.get("cursor")).toBe(deploys[19]?.deployId);
    expect(screen.queryByRole("button", { name: "Load more" })).toBeNull();
  });

  it("renders hostile commit messages, branches, authors and file names as text", async () => {
    const { container } = renderApp();
    await ready();
    const hostile = deploys.find((d) => d.branch === HOSTILE) as DeployView;
    await expand(hostile);
    await screen.findByRole("list", { name: "Deploy log" });
    expect(container.querySelector("img")).toBeNull();
    expect(container.querySelector("script")).toBeNull();
    expect(container.textContent).toContain(`Try a trick ${HOSTILE}`);
    expect(container.textContent).toContain(HOSTILE_SCRIPT);
    expect(container.textContent).toContain(`"assets/${HOSTILE}.js" is a symbolic link`);
  });

  it("sends the session token and uses each X-acpt for the next call", async () => {
    const h = renderApp({ token: "from-meta" });
    await ready();
    expect(h.calls[0]?.authorization).toBe("JWT from-meta");
    await expand(liveProd);
    await screen.findByRole("list", { name: "Deploy log" });
    const detail = h.calls.find((c) => c.path.includes("/deploys/"));
    // Site and first page went out together with the meta token; each answer brought a new one.
    expect(detail?.authorization).toBe("JWT token-2");
    expect(h.client.currentToken).toBe("token-3");
  });

  it("polls every 2 s while a deploy runs, and shows its progress", async () => {
    const running = byStatus("running");
    let polls = 0;
    const h = renderApp({
      override: (c) => {
        if (c.path.endsWith("/deploys")) polls += 1;
        if (polls >= 2 && c.path.endsWith("/deploys")) {
          const page = deploys.slice(0, 20).map((d) => (d.deployId === running.deployId ? { ...d, progress: { ...(d.progress as NonNullable<DeployView["progress"]>), filesDone: 1300, archiveBytesRead: 14_000_000 } } : d));
          return json({ deploys: page, nextCursor: deploys[19]?.deployId });
        }
        return undefined;
      },
    });
    await ready();
    const bar = screen.getAllByRole("progressbar")[0] as HTMLElement;
    expect(bar.getAttribute("aria-valuenow")).toBe("62");
    await act(async () => {
      await new Promise((r) => setTimeout(r, 2300));
    });
    await waitFor(() => expect((screen.getAllByRole("progressbar")[0] as HTMLElement).getAttribute("aria-valuenow")).toBe("95"));
    expect(h.calls.filter((c) => c.path.endsWith("/deploys")).length).toBeGreaterThanOrEqual(2);
  });

  it("shows the live deploy up top with links to the site and each branch stage", async () => {
    renderApp();
    await ready();
    const live = screen.getByRole("region", { name: "Live deploy" });
    expect(within(live).getByRole("link", { name: "Open website--acme.hoist.example in a new tab" }).getAttribute("href")).toBe("https://website--acme.hoist.example/");
    expect(within(live).getByRole("link", { name: /Open branch stage feature-login/ }).getAttribute("href")).toBe("https://feature-login--website--acme.hoist.example/");
    expect(live.textContent).toContain(shortCommit(liveProd.commit));
    expect(live.textContent).toContain("Deploying");
  });

  it("shows the narrow panel: five deploys and a link to all of them", async () => {
    renderApp({ view: "panel" });
    await ready();
    expect(document.querySelectorAll("li[data-status]").length).toBe(5);
    expect(screen.getByRole("link", { name: "All deploys" }).getAttribute("href")).toContain("view=page");
    expect(screen.queryByRole("button", { name: "Load more" })).toBeNull();
  });
});
