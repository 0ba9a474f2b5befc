const UNITS = ["B", "kB", "MB", "GB", "TB"] as const;

/**
 * Decimal units (1 kB = 1000 B), as browsers' network panels and Bitbucket's repository size
 * show them. One decimal below 100 of a unit, none above: 1.2 MB, 42.5 kB, 318 MB.
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "–";
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  // 999.96 kB would round to "1000.0 kB": step up instead.
  if (Number(value.toFixed(1)) >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = value < 100 ? 1 : 0;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}
