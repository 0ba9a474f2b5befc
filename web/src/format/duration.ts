/**
 * 850 → "850 ms", 1_530 → "1.5 s", 58_400 → "58 s", 72_000 → "1 min 12 s", 3_720_000 → "1 h 2 min".
 * Seconds are floored, never rounded up: a deploy stopped at 58.9 s did not run 59 s.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  // Tenths below 10 s, so a 1.9 s deploy does not read as "1 s" (still floored).
  if (ms < 10_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)} s`;
  const totalSeconds = Math.floor(ms / 1000);
  if (totalSeconds < 60) return `${totalSeconds} s`;
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  if (minutes < 60) return seconds ? `${minutes} min ${seconds} s` : `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}
