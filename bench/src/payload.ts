import { TIMEFRAMES, Topics } from '@tradehub/shared';

/**
 * The tick-like payload every system carries, stamped with its send time in whole microseconds of the
 * load generator's monotonic clock (publisher and subscribers share one process, so one clock).
 */
export interface BenchTick {
  symbol: string;
  bid: number;
  ask: number;
  /** Send time, µs of performance.now(). */
  t: number;
}

export function nowMicros(): number {
  return Math.round(performance.now() * 1000);
}

export function benchTick(sentMicros: number): BenchTick {
  return { symbol: 'EURUSD', bid: 1.08421, ask: 1.08424, t: sentMicros };
}

/** The trade hub's tick schema has whole-millisecond `time`; the send time in µs rides in `flags`. */
export function tradeTickEvent(sentMicros: number, symbol = TRADE_SYMBOL): { type: 'tick'; platformId: string; data: Record<string, unknown> } {
  return { type: 'tick', platformId: TRADE_PLATFORM, data: { symbol, bid: 1.08421, ask: 1.08424, time: Date.now(), flags: sentMicros } };
}

const TRADE_PLATFORM = 'demo';
const TRADE_SYMBOL = 'EURUSD';
export const TRADE_TOPIC = Topics.ticks(TRADE_PLATFORM, TRADE_SYMBOL);

/** The symbols of a workload with `count` topics: EURUSD alone, or BENCH01, BENCH02, ... */
export function benchSymbols(count: number): string[] {
  if (count <= 1) return [TRADE_SYMBOL];
  return Array.from({ length: count }, (_unused, index) => `BENCH${String(index + 1).padStart(2, '0')}`);
}

/** The tick topic of one of the workload's symbols. */
export function tickTopic(symbol: string): string {
  return Topics.ticks(TRADE_PLATFORM, symbol);
}

/** The topics a hub stores a tick of `symbol` in: its tick topic, and the bars topic of every timeframe it builds from it. */
export function storedTopicsOf(symbol: string): string[] {
  return [tickTopic(symbol), ...TIMEFRAMES.map((timeframe) => Topics.bars(TRADE_PLATFORM, symbol, timeframe))];
}

/** The send time a decoded payload carries, or undefined when it carries none (not one of ours). */
export function sentMicrosOf(value: unknown): number | undefined {
  if (typeof value === 'string') {
    try {
      return sentMicrosOf(JSON.parse(value));
    } catch {
      return undefined;
    }
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.t === 'number') return record.t;
  const data = record.data;
  if (typeof data === 'object' && data !== null && typeof (data as Record<string, unknown>).flags === 'number') {
    return (data as Record<string, unknown>).flags as number;
  }
  return undefined;
}
