import { describe, expect, it } from "vitest";
import { legacyStageHostLabel, PRODUCTION, stageHostLabel } from "./site.ts";

/** Host labels: one-to-one, DNS-valid, readable where that loses nothing. */
describe("stage host labels", () => {
  const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
  const workspaces = ["acme", "acme_", "acme.", "acme-", "acme-x", "acme--x", "acme_x", "acme.x", "xn", "a".repeat(100), `${"a".repeat(99)}b`];
  const repos = ["blog", "blog_", "blog.", "staging--web", "web", "web--acme", "x", "b".repeat(100), `${"b".repeat(99)}c`];
  const stages = [PRODUCTION, "staging", "Staging", "staging--web", "web", "feature/x", "feature-x", "feature_x", "FEATURE/X", "release/1.0", "s".repeat(200)];

  it("gives every (workspace, repository, stage) its own label, each a valid DNS label", () => {
    const seen = new Map<string, string>();
    for (const workspace of workspaces)
      for (const repo of repos)
        for (const stage of stages) {
          const label = stageHostLabel({ workspace, repo }, stage);
          const who = `${workspace}/${repo}@${stage}`;
          expect(label, who).toMatch(DNS_LABEL);
          expect(seen.get(label), `${who} and ${seen.get(label)} share ${label}`).toBeUndefined();
          seen.set(label, who);
        }
    expect(seen.size).toBe(workspaces.length * repos.length * stages.length);
  });

  it("stays readable where nothing is lost", () => {
    expect(stageHostLabel({ workspace: "acme", repo: "website" })).toBe("website--acme");
    expect(stageHostLabel({ workspace: "acme", repo: "website" }, "staging")).toBe("staging--website--acme");
  });

  it("no longer lets acme_/blog or a repository named staging--web take another site's host", () => {
    expect(stageHostLabel({ workspace: "acme_", repo: "blog" })).not.toBe(stageHostLabel({ workspace: "acme", repo: "blog" }));
    expect(stageHostLabel({ workspace: "acme", repo: "staging--web" })).not.toBe(stageHostLabel({ workspace: "acme", repo: "web" }, "staging"));
    // …where the old labels gave both the same host.
    expect(legacyStageHostLabel({ workspace: "acme_", repo: "blog" })).toBe(legacyStageHostLabel({ workspace: "acme", repo: "blog" }));
    expect(legacyStageHostLabel({ workspace: "acme", repo: "staging--web" })).toBe(legacyStageHostLabel({ workspace: "acme", repo: "web" }, "staging"));
  });
});
