/**
 * A Map that never holds more than `maxEntries`. When full it drops the entries `isStale`
 * calls stale, then the least recently set ones, down to nine tenths of the cap (so that the
 * sweep stays rare). For maps keyed by what callers choose (addresses, client ids), whose
 * growth they must not control.
 */
export class CappedMap<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly maxEntries: number, private readonly isStale: (value: V) => boolean) {
    if (!(maxEntries >= 1)) throw new RangeError('maxEntries must be at least 1');
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  /** Stores `value` as the most recently set entry. */
  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.maxEntries) this.shrink();
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  private shrink(): void {
    for (const [key, value] of this.entries) {
      if (this.isStale(value)) this.entries.delete(key);
    }
    let excess = this.entries.size - Math.floor(this.maxEntries * 0.9);
    // A Map iterates in insertion order, and `set` re-inserts: the first keys are the least recently set.
    for (const key of this.entries.keys()) {
      if (excess-- <= 0) break;
      this.entries.delete(key);
    }
  }
}
