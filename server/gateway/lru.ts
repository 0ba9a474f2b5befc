/**
 * A weighted least-recently-used map. The gateway keeps parsed manifests and live pointers in
 * memory; the bound is by weight (a manifest weighs its file count) so one huge site cannot
 * push memory past the budget. An entry heavier than the whole budget is simply not kept.
 *
 * Map iteration order is insertion order, so re-inserting on read makes the first key the
 * least recently used one.
 */
export class Lru<K, V> {
  private readonly entries = new Map<K, { value: V; weight: number }>();
  private total = 0;

  constructor(private readonly maxWeight: number) {}

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: K, value: V, weight = 1): void {
    this.delete(key);
    if (weight > this.maxWeight) return;
    this.entries.set(key, { value, weight });
    this.total += weight;
    for (const [oldest, entry] of this.entries) {
      if (this.total <= this.maxWeight) break;
      this.entries.delete(oldest);
      this.total -= entry.weight;
    }
  }

  delete(key: K): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.total -= entry.weight;
  }

  /** The summed weight of what is kept (never above the budget). */
  get weight(): number {
    return this.total;
  }

  get size(): number {
    return this.entries.size;
  }
}
