/**
 * Subscribers of every system count each benchmark payload by its first bytes and parse only
 * every n-th in full for its send time: a load generator on one core that parsed every message
 * (JSON.parse of the whole envelope) capped the saturation figures of the fastest servers, not the
 * servers themselves. The same sampling applies to tradehub, Socket.IO and the naive ws loop.
 */
export const PAYLOAD_SAMPLE_EVERY = 8;

/** Says which payloads to parse: the first, then every `every`-th, across all of a driver's subscribers. */
export class PayloadSampler {
  private seen = 0;

  constructor(readonly every: number = PAYLOAD_SAMPLE_EVERY) {
    if (!Number.isInteger(every) || every < 1) throw new Error(`sample every must be a whole number >= 1, not ${every}`);
  }

  next(): boolean {
    return this.seen++ % this.every === 0;
  }
}

/** Whether `data` starts (at `offset`) with one of `prefixes` (bytes compared, nothing decoded). */
export function startsWithAny(data: Uint8Array, prefixes: readonly Uint8Array[], offset = 0): boolean {
  for (const prefix of prefixes) {
    if (data.length - offset < prefix.length) continue;
    let index = 0;
    while (index < prefix.length && data[offset + index] === prefix[index]) index++;
    if (index === prefix.length) return true;
  }
  return false;
}
