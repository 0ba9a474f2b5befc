import { expect, it } from "vitest";
import type { DeployView } from "../api/types.ts";
import { sizeLine } from "./DeployRow.tsx";

it("shows a deploy's size in its row: files, site size, uploaded versus reused", () => {
  const stats = { archiveBytes: 400_000, originalBytes: 1_250_000, storedBytes: 900_000, uploadedBytes: 120_000, files: 42, compressedFiles: 30, reusedBlobs: 38, uploadedBlobs: 4 };
  expect(sizeLine({ stats } as DeployView)).toBe("42 files · 1.3 MB · 120 kB uploaded, 38 reused");
  expect(sizeLine({} as DeployView)).toBeUndefined();
});
