import type { Manifest } from "../../core/manifest.ts";
import type { FileChange } from "./types.ts";

/**
 * What a deploy changed, by diffing its manifest with the one before it on the same stage:
 * a path is added, removed, or changed when its content hash differs. Sorted by path, capped.
 */
export function diffManifests(previous: Manifest | undefined, current: Manifest, max = 500): { changes: FileChange[]; truncated: boolean } {
  const changes: FileChange[] = [];
  const before = previous?.files ?? {};
  for (const [path, file] of Object.entries(current.files)) {
    const old = before[path];
    if (!old) changes.push({ path, change: "added", size: file.size });
    else if (old.hash !== file.hash) changes.push({ path, change: "changed", size: file.size });
  }
  for (const path of Object.keys(before)) {
    if (!current.files[path]) changes.push({ path, change: "removed" });
  }
  changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { changes: changes.slice(0, max), truncated: changes.length > max };
}
