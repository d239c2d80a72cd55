/**
 * Counts failed authentications per key (client id, address) in a sliding window, so that
 * guessing secrets is slowed down without locking out callers who succeed.
 */
export class FailureRateLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly windowMs: number) {}

  /** Seconds until `key` may try again, or 0 when it may now. */
  retryAfterSeconds(key: string, limit: number): number {
    const recent = this.recent(key);
    if (recent.length < limit) return 0;
    const oldest = recent[recent.length - limit] ?? Date.now();
    return Math.max(1, Math.ceil((oldest + this.windowMs - Date.now()) / 1000));
  }

  /** Seconds until every key of an attempt may try again (0: it may now), each key with its own limit. */
  retryAfter(limits: ReadonlyArray<readonly [key: string, limit: number]>): number {
    return Math.max(0, ...limits.map(([key, limit]) => this.retryAfterSeconds(key, limit)));
  }

  /** A failed attempt counts against each of its keys (the client and the address, say). */
  recordFailures(keys: readonly string[]): void {
    for (const key of keys) this.recordFailure(key);
  }

  recordFailure(key: string): void {
    const recent = this.recent(key);
    recent.push(Date.now());
    this.failures.set(key, recent);
    if (this.failures.size > 100_000) this.prune();
  }

  private recent(key: string): number[] {
    const since = Date.now() - this.windowMs;
    return (this.failures.get(key) ?? []).filter((at) => at > since);
  }

  private prune(): void {
    for (const key of [...this.failures.keys()]) {
      if (this.recent(key).length === 0) this.failures.delete(key);
    }
  }
}
