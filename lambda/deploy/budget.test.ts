import { describe, expect, it } from "vitest";
import { Budget, TaskGroup } from "./budget.ts";

const tick = () => new Promise((r) => setImmediate(r));

describe("Budget", () => {
  it("admits at most maxTasks at once", async () => {
    const budget = new Budget(2, 1000);
    const r1 = await budget.acquire(1);
    const r2 = await budget.acquire(1);
    let third = false;
    const p = budget.acquire(1).then((r) => {
      third = true;
      return r;
    });
    await tick();
    expect(third).toBe(false);
    r1();
    (await p)();
    expect(third).toBe(true);
    r2();
  });

  it("holds bytes under maxBytes, and lets an oversized task run alone", async () => {
    const budget = new Budget(10, 100);
    const a = await budget.acquire(60);
    let bigStarted = false;
    const big = budget.acquire(500).then((r) => {
      bigStarted = true;
      return r;
    });
    await tick();
    expect(bigStarted).toBe(false);
    a();
    const releaseBig = await big;
    expect(bigStarted).toBe(true);
    let small = false;
    const s = budget.acquire(1).then((r) => {
      small = true;
      return r;
    });
    await tick();
    expect(small).toBe(false);
    releaseBig();
    (await s)();
  });

  it("keeps arrival order: a small task does not overtake a waiting big one", async () => {
    const budget = new Budget(10, 100);
    const a = await budget.acquire(90);
    const order: string[] = [];
    const big = budget.acquire(50).then((r) => (order.push("big"), r));
    const small = budget.acquire(5).then((r) => (order.push("small"), r));
    await tick();
    expect(order).toEqual([]);
    a();
    (await big)();
    (await small)();
    expect(order).toEqual(["big", "small"]);
  });

  it("ignores a second release of the same task", async () => {
    const budget = new Budget(1, 100);
    const r = await budget.acquire(10);
    r();
    r();
    const next = await budget.acquire(10);
    let other = false;
    void budget.acquire(10).then(() => (other = true));
    await tick();
    expect(other).toBe(false);
    next();
  });
});

describe("TaskGroup", () => {
  it("settles all tasks and rethrows the first failure", async () => {
    const group = new TaskGroup();
    let finished = 0;
    group.spawn(async () => {
      await tick();
      finished += 1;
    });
    group.spawn(async () => {
      throw new Error("first");
    });
    group.spawn(async () => {
      await tick();
      throw new Error("second");
    });
    await tick();
    expect(() => group.check()).toThrow("first");
    await expect(group.settle()).rejects.toThrow("first");
    expect(finished).toBe(1);
  });
});
