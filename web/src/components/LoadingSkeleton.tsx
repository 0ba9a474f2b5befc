/**
 * Grey blocks the size of what will come (a live card, then rows of 64 px), so the panel
 * and its iframe do not jump when the data lands.
 */
export function LoadingSkeleton({ rows }: { rows: number }) {
  return (
    <div className="skeleton" role="status" aria-live="polite" aria-busy="true" style={{ minHeight: 120 + rows * 64 }}>
      <span className="visually-hidden">Loading deploys…</span>
      <div className="skeleton__card" aria-hidden="true" />
      {Array.from({ length: rows }, (_, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: placeholders have no identity
        <div key={i} className="skeleton__row" aria-hidden="true" />
      ))}
    </div>
  );
}
