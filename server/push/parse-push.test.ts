import { describe, expect, it } from "vitest";
import { branchTips, parsePush } from "./parse-push.ts";

const change = (n: unknown) => ({ repository: { full_name: "acme/site" }, push: { changes: [{ new: n, old: { type: "branch", name: "gone", target: { hash: "c".repeat(40) } } }] } });

describe("repo:push payloads", () => {
  it("deploys target.hash of a branch, never the branch name", () => {
    const parsed = parsePush(change({ type: "branch", name: "main", target: { hash: "A".repeat(40), message: "Fix\n\nbody", author: { raw: "Ada <ada@x>" } } }));
    expect(parsed.ok && branchTips(parsed.payload)).toEqual([{ kind: "tip", tip: { branch: "main", commit: "a".repeat(40), author: "Ada", message: "Fix" } }]);
  });

  it("skips deleted refs and tags with a reason", () => {
    const deleted = parsePush(change(null));
    const tag = parsePush(change({ type: "tag", name: "v1", target: { hash: "b".repeat(40) } }));
    expect(deleted.ok && branchTips(deleted.payload)[0]).toMatchObject({ kind: "skip", reason: "ref deleted" });
    expect(tag.ok && branchTips(tag.payload)[0]).toMatchObject({ kind: "skip", ref: "v1" });
  });

  it("names the field that is missing or wrong", () => {
    expect(parsePush({ repository: { full_name: "acme/site" } })).toEqual({ ok: false, problem: expect.stringContaining("push") });
    expect(parsePush(change({ type: "branch", name: "main", target: { hash: "not-a-hash" } }))).toEqual({ ok: false, problem: expect.stringContaining("hash") });
  });
});
