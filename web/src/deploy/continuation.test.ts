import { describe, expect, it } from "vitest";
import { continuedLine, currentRun, notContinuedBecause, runEnding, runsSentence } from "./continuation.ts";
import { timeoutHeadline } from "./timeout.ts";

describe("continued deploys", () => {
  it("counts hand-offs in words", () => {
    expect(continuedLine({})).toBeUndefined();
    expect(continuedLine({ continuations: 0 })).toBeUndefined();
    expect(continuedLine({ continuations: 1 })).toBe("Continued 1 time");
    expect(continuedLine({ continuations: 3 })).toBe("Continued 3 times");
    expect(continuedLine({ continuations: 1200 })).toBe("Continued 1,200 times");
  });

  it("numbers the run a deploy is in from 1", () => {
    expect(currentRun({})).toBe(1);
    expect(currentRun({ continuations: 2 })).toBe(3);
    expect(currentRun({ continuations: -4 })).toBe(1);
  });

  it("says how a run ended and how many runs a timed-out deploy had", () => {
    expect(runEnding("continued")).toBe("handed on");
    expect(runEnding("finished")).toBe("finished");
    expect(runsSentence({})).toBeUndefined();
    expect(runsSentence({ continuations: 2 })).toBe("It had 3 runs: it was handed on to a new run 2 times at the function's time limit before it stopped.");
  });

  it("finds why the deployer did not continue again in its message", () => {
    const message =
      "Timed out after 3.1 s in its run 21 at 80% of the archive (320 of 400 files seen so far stored). It was not continued again: it was already continued 20 times, the limit (HOIST_MAX_CONTINUATIONS). The live site is unchanged.";
    expect(notContinuedBecause(message)).toBe("It was not continued again: it was already continued 20 times, the limit (HOIST_MAX_CONTINUATIONS).");
    expect(notContinuedBecause("The deployer stopped at 58 s.")).toBeUndefined();
    expect(notContinuedBecause(undefined)).toBeUndefined();
  });

  it("times out after the whole deploy's duration, in how many runs", () => {
    const progress = { filesDone: 320, filesSeen: 400, bytesDone: 0, bytesSeen: 0, archiveBytesRead: 80, archiveBytes: 100, elapsedMs: 3_100 };
    expect(timeoutHeadline({ durationMs: 64_000, continuations: 20, progress })).toBe("Timed out after 1 min 4 s in 21 runs at 80% of the archive (320 of 400 files seen were stored)");
    expect(timeoutHeadline({ durationMs: 64_000, progress })).toBe("Timed out after 3.1 s at 80% of the archive (320 of 400 files seen were stored)");
  });
});
