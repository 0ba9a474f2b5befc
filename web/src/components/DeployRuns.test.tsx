// @vitest-environment jsdom
import { cleanup, fireEvent, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { DeployRun, DeployView } from "../api/types.ts";
import { sampleDeploys } from "../dev/fixtures.ts";
import { renderApp } from "../test/harness.tsx";

afterEach(cleanup);

/** Deploys that outlived one run of the deployer, in the sample history in place of some of its own. */

const run = (n: number, r: Omit<DeployRun, "run" | "startedAt" | "archiveBytesRead">): DeployRun => ({
  run: n,
  startedAt: new Date(Date.parse("2026-03-05T13:00:00.000Z") + n * 60_000).toISOString(),
  archiveBytesRead: 1_000_000 * n,
  ...r,
});

const SUCCEEDED_RUNS: DeployRun[] = [
  run(1, { elapsedMs: 58_400, filesStored: 9_200, bytesStored: 412_000_000, filesResumed: 0, skipMs: 0, ended: "continued" }),
  run(2, { elapsedMs: 58_100, filesStored: 7_050, bytesStored: 318_000_000, filesResumed: 9_200, skipMs: 6_300, ended: "continued" }),
  run(3, { elapsedMs: 21_700, filesStored: 3_450, bytesStored: 150_000_000, filesResumed: 16_250, skipMs: 11_200, ended: "finished" }),
];

const NOT_AGAIN = "it was already continued 1 time, the limit (HOIST_MAX_CONTINUATIONS)";

function continuedHistory(): { deploys: DeployView[]; succeeded: DeployView; timedOut: DeployView; running: DeployView } {
  const deploys = sampleDeploys().map((d): DeployView => {
    if (d.status === "succeeded" && d.live && d.stage === "production") {
      return { ...d, message: "Import the photo archive in three runs", durationMs: 139_000, continuations: 2, runs: SUCCEEDED_RUNS };
    }
    if (d.status === "timed_out") {
      return {
        ...d,
        durationMs: 118_000,
        continuations: 1,
        runs: [
          run(1, { elapsedMs: 58_400, filesStored: 9_200, bytesStored: 412_000_000, filesResumed: 0, skipMs: 0, ended: "continued" }),
          run(2, { elapsedMs: 58_400, filesStored: 2_834, bytesStored: 199_000_000, filesResumed: 9_200, skipMs: 41_000, ended: "finished" }),
        ],
        reasonMessage: `Timed out after 58 s in its run 2 at 61% of the archive (12034 of 19700 files seen so far stored). It was not continued again: ${NOT_AGAIN}. The live site is unchanged.`,
      };
    }
    if (d.status === "running") {
      return {
        ...d,
        continuations: 2,
        runs: [
          run(1, { elapsedMs: 58_000, filesStored: 400, bytesStored: 9_000_000, filesResumed: 0, skipMs: 0, ended: "continued" }),
          run(2, { elapsedMs: 58_000, filesStored: 300, bytesStored: 6_000_000, filesResumed: 400, skipMs: 2_000, ended: "continued" }),
        ],
      };
    }
    return d;
  });
  const find = (status: DeployView["status"], live?: boolean) => deploys.find((d) => d.status === status && (live === undefined || d.live === live)) as DeployView;
  return { deploys, succeeded: find("succeeded", true), timedOut: find("timed_out"), running: find("running") };
}

function row(deploy: DeployView): HTMLElement {
  const rows = screen.getAllByRole("listitem").filter((li) => li.dataset.status !== undefined);
  const found = rows.find((li) => li.querySelector(".row__toggle code")?.getAttribute("title") === deploy.commit);
  if (!found) throw new Error(`no row for ${deploy.commit}`);
  return found;
}

async function expanded(deploy: DeployView): Promise<HTMLElement> {
  await screen.findByRole("heading", { name: "Deploys" });
  fireEvent.click(within(row(deploy)).getAllByRole("button")[0] as HTMLElement);
  await within(row(deploy)).findByRole("list", { name: "Deploy log" });
  return row(deploy).querySelector(".detail") as HTMLElement;
}

/** The runs table as text, one array of cells per body row. */
function runsTable(detail: HTMLElement): string[][] {
  const runs = within(detail).getByRole("region", { name: "Runs" });
  const table = within(runs).getByRole("table", { name: "Runs of this deploy" });
  const [head, ...body] = within(table).getAllByRole("row");
  expect(within(head as HTMLElement).getAllByRole("columnheader").map((c) => c.textContent)).toEqual(["Run", "Duration", "Files stored", "Taken over", "Re-reading archive", "Ended"]);
  return body.map((r) => [...r.querySelectorAll("th, td")].map((c) => c.textContent ?? ""));
}

describe("a deploy continued in new runs", () => {
  it("says in its row how often it was continued", async () => {
    const h = continuedHistory();
    renderApp({ deploys: h.deploys });
    await screen.findByRole("heading", { name: "Deploys" });
    expect(within(row(h.succeeded)).getByText("Continued 2 times")).toBeTruthy();
    expect(within(row(h.timedOut)).getByText("Continued 1 time")).toBeTruthy();
    expect(row(h.timedOut).textContent).toContain("Timed out after 1 min 58 s in 2 runs at 61% of the archive (12,034 of 19,700 files seen were stored)");
    const single = h.deploys.find((d) => d.status === "failed") as DeployView;
    expect(row(single).textContent).not.toContain("Continued");
  });

  it("lists each run in the detail, and explains no timeout for a deploy that succeeded", async () => {
    const h = continuedHistory();
    renderApp({ deploys: h.deploys });
    const detail = await expanded(h.succeeded);
    expect(runsTable(detail)).toEqual([
      ["1", "58 s", "9,200 (412 MB)", "0", "0 ms", "handed on"],
      ["2", "58 s", "7,050 (318 MB)", "9,200", "6.3 s", "handed on"],
      ["3", "21 s", "3,450 (150 MB)", "16,250", "11 s", "finished"],
    ]);
    expect(screen.queryByRole("region", { name: "Why this deploy timed out" })).toBeNull();
    expect(detail.textContent).not.toContain("Timed out");
  });

  it("explains a timeout after continuations with how many runs it had and why it stopped there", async () => {
    const h = continuedHistory();
    renderApp({ deploys: h.deploys });
    const detail = await expanded(h.timedOut);
    const why = within(detail).getByRole("region", { name: "Why this deploy timed out" });
    expect(why.textContent).toContain("Timed out after 1 min 58 s in 2 runs at 61% of the archive");
    expect(why.textContent).toContain("It had 2 runs: it was handed on to a new run 1 time at the function's time limit before it stopped.");
    expect(why.textContent).toContain(`It was not continued again: ${NOT_AGAIN}.`);
    expect(why.textContent).toContain("Limit hit: function timeout 60 s (stopped at 58 s) in its last run.");
    expect(within(why).getAllByRole("listitem")).toHaveLength(3);
    expect(runsTable(detail).map((cells) => [cells[0], cells[5]])).toEqual([
      ["1", "handed on"],
      ["2", "finished"],
    ]);
  });

  it("shows a running continuation's progress across runs, the run it is in, and no timeout", async () => {
    const h = continuedHistory();
    renderApp({ deploys: h.deploys });
    await screen.findByRole("heading", { name: "Deploys" });
    expect(row(h.running).textContent).toContain("812 files published, 62% of the archive read");
    expect(within(row(h.running)).getByText("Continued 2 times · run 3")).toBeTruthy();
    const detail = await expanded(h.running);
    const bar = within(detail).getByRole("progressbar", { name: "Deploy progress" });
    expect(bar.getAttribute("aria-valuenow")).toBe("62");
    expect(bar.getAttribute("aria-valuetext")).toBe("62%: 812 files (18.4 MB) published, 9.1 MB of 14.6 MB archive read · run 3");
    expect(within(detail).queryByRole("region", { name: "Why this deploy timed out" })).toBeNull();
    expect(runsTable(detail)).toEqual([
      ["1", "58 s", "400 (9.0 MB)", "0", "0 ms", "handed on"],
      ["2", "58 s", "300 (6.0 MB)", "400", "2.0 s", "handed on"],
      ["3", "–", "–", "–", "–", "running now"],
    ]);
  });

  it("shows no runs for a deploy that needed one run", async () => {
    const h = continuedHistory();
    renderApp({ deploys: h.deploys });
    const single = h.deploys.find((d) => d.status === "succeeded" && !d.live && d.continuations === undefined) as DeployView;
    const detail = await expanded(single);
    expect(within(detail).queryByRole("region", { name: "Runs" })).toBeNull();
    expect(row(single).textContent).not.toContain("Continued");
  });

  it("renders what the runs carry as text", async () => {
    const h = continuedHistory();
    const hostile = "<img src=x onerror=alert(1)>";
    const deploys = h.deploys.map((d) => (d === h.timedOut ? { ...d, reasonMessage: `It was not continued again: ${hostile}. Then.` } : d));
    const { container } = renderApp({ deploys });
    const detail = await expanded(h.timedOut);
    expect(within(detail).getByRole("region", { name: "Why this deploy timed out" }).textContent).toContain(`It was not continued again: ${hostile}.`);
    expect(container.querySelector("img")).toBeNull();
  });
});
