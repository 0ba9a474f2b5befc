/**
 * part/whole as a whole percentage, floored so that "100%" only ever means all of it
 * (12,034 of 19,700 → "61%"; 19,699 of 19,700 → "99%"). Undefined when whole is 0.
 */
export function percentOf(part: number, whole: number): number | undefined {
  if (!(whole > 0) || !Number.isFinite(part)) return undefined;
  return Math.max(0, Math.min(100, Math.floor((part / whole) * 100)));
}

export function formatPercent(part: number, whole: number): string {
  const p = percentOf(part, whole);
  return p === undefined ? "–" : `${p}%`;
}

/** Share saved by compression: original 10 MB stored as 3.8 MB → "62%". Never negative. */
export function formatSaving(originalBytes: number, storedBytes: number): string {
  if (!(originalBytes > 0)) return "0%";
  const saved = Math.max(0, originalBytes - storedBytes);
  return `${Math.round((saved / originalBytes) * 100)}%`;
}
