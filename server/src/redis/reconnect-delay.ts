/** How long a Redis connection waits before its reconnect attempt `retries`: quickly at first, then every 2 s. */
export function reconnectDelayMs(retries: number): number {
  return Math.min(100 * 2 ** Math.min(retries, 5), 2_000);
}
