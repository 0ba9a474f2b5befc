import { formatExactTime, formatRelativeTime } from "../format/relative-time.ts";

/** "3 minutes ago", with the exact moment on hover and in the `<time>` element for tools. */
export function RelativeTime({ iso, now }: { iso: string; now: number }) {
  return (
    <time dateTime={iso} title={formatExactTime(iso)}>
      {formatRelativeTime(iso, now)}
    </time>
  );
}
