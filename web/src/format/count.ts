// Fixed locale: the panel's text is English, and "12,034" must read the same for everyone.
const counts = new Intl.NumberFormat("en-US");

/** 12034 → "12,034". */
export function formatCount(n: number): string {
  return counts.format(Math.round(n));
}

/** 1 → "1 file", 12034 → "12,034 files". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}
