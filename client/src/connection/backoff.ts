/** How reconnect attempts are spaced. */
export interface ReconnectOptions {
  /** Delay before the second attempt (the first one is immediate), in ms. Default 250. */
  initialDelayMs?: number;
  /** Largest delay between attempts, in ms. Default 10,000. */
  maxDelayMs?: number;
  /** Give up (state `disconnected`) after trying for this long, in ms. Default: never give up. */
  maxElapsedMs?: number;
}

/**
 * Exponential backoff with jitter: attempt 0 is immediate (a node restart or a token renewal
 * usually needs nothing more), then `initial * 2^(n-1)` capped at `max`, each spread by +-50% so
 * that clients disconnected together do not come back together.
 */
export class Backoff {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxElapsedMs: number;

  constructor(options: ReconnectOptions = {}, private readonly random: () => number = Math.random) {
    this.initialDelayMs = options.initialDelayMs ?? 250;
    this.maxDelayMs = options.maxDelayMs ?? 10_000;
    this.maxElapsedMs = options.maxElapsedMs ?? Number.POSITIVE_INFINITY;
  }

  delay(attempt: number): number {
    if (attempt <= 0) return 0;
    const base = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** Math.min(attempt - 1, 30));
    return Math.round(Math.min(this.maxDelayMs, base * (0.5 + this.random())));
  }
}
