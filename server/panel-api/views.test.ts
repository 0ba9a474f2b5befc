import { describe, expect, it } from "vitest";
import type { DeployRecord, DeployRun } from "../../core/deploy-records.ts";
import { deployView } from "./views.ts";

const ctx = { liveIds: new Set<string>(), sitesDomain: "hoist.example", commitBaseUrl: "https://bitbucket.org" };

const run = (n: number, ended: DeployRun["ended"]): DeployRun => ({
  run: n,
  startedAt: `2026-03-05T14:00:0${n}.000Z`,
  elapsedMs: 3000 + n,
  filesStored: 100 * n,
  bytesStored: 1_600_000 * n,
  filesResumed: n === 1 ? 0 : 100,
  skipMs: n === 1 ? 0 : 420,
  archiveBytesRead: 2_000_000 * n,
  ended,
});

const record: DeployRecord = {
  siteId: "acme/website",
  deployId: "01JNQ0000000000000000000AA",
  owner: "client-key-1",
  stage: "production",
  branch: "main",
  commit: "a".repeat(40),
  author: "Ada",
  message: "Add every photo",
  trigger: "push",
  status: "succeeded",
  queuedAt: "2026-03-05T14:00:00.000Z",
  startedAt: "2026-03-05T14:00:01.000Z",
  finishedAt: "2026-03-05T14:00:09.000Z",
  durationMs: 8000,
  stagingKey: "staging/acme/website/01JNQ.tar.gz",
  manifestKey: "manifests/acme/website/01JNQ.json",
  runId: "run-secret",
  leaseExpiresAt: 1_800_000_000_000,
  attempt: 1,
  dispatchOrder: "01JNQ0000000000000000000AB",
  log: [{ t: "2026-03-05T14:00:01.000Z", level: "info", msg: "hello" }],
  continuations: 1,
  runs: [run(1, "continued"), run(2, "finished")],
};

describe("deploy records as the panel sees them", () => {
  it("sends exactly the public fields: no run ids, leases, staging keys or owners", () => {
    const view = deployView(record, ctx);
    expect(Object.keys(view).sort()).toEqual(
      [
        "author",
        "branch",
        "commit",
        "commitUrl",
        "continuations",
        "deployId",
        "durationMs",
        "finishedAt",
        "live",
        "message",
        "phase",
        "progress",
        "queuedAt",
        "reason",
        "reasonMessage",
        "runs",
        "siteId",
        "stage",
        "startedAt",
        "stats",
        "status",
        "trigger",
        "url",
      ].sort(),
    );
    const wire = JSON.stringify(view);
    for (const secret of ["run-secret", "staging/", "client-key-1", "manifests/", "leaseExpiresAt", "dispatchOrder"]) expect(wire).not.toContain(secret);
  });

  it("passes a continued deploy's hand-off count and run summaries through", () => {
    const view = deployView(record, ctx);
    expect(view.continuations).toBe(1);
    expect(view.runs).toEqual([run(1, "continued"), run(2, "finished")]);
  });

  it("keeps only a run summary's own fields", () => {
    const extra = { ...run(1, "continued"), token: "hand-off-secret" } as DeployRun;
    const view = deployView({ ...record, runs: [extra] }, ctx);
    expect(view.runs).toEqual([run(1, "continued")]);
    expect(JSON.stringify(view)).not.toContain("hand-off-secret");
  });

  it("leaves both out for a deploy that needed one run", () => {
    const { continuations: _c, runs: _r, ...single } = record;
    const wire = JSON.parse(JSON.stringify(deployView(single, ctx)));
    expect(wire).not.toHaveProperty("continuations");
    expect(wire).not.toHaveProperty("runs");
  });
});
