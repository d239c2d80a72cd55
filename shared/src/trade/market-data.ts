import * as z from 'zod';
import { price, symbolName, utcMillis, volume } from './primitives.js';

/**
 * Bar timeframes the hub builds from ticks, with their length. Bars are aligned to multiples of
 * the length since the UTC epoch, so that an H1 bar opens on the hour and a D1 bar at 00:00 UTC.
 */
export const TIMEFRAME_MS = {
  M1: 60_000,
  M5: 300_000,
  M15: 900_000,
  H1: 3_600_000,
  D1: 86_400_000,
} as const;

export type Timeframe = keyof typeof TIMEFRAME_MS;
export const TIMEFRAMES = Object.keys(TIMEFRAME_MS) as Timeframe[];
export const timeframeSchema = z.enum(TIMEFRAMES as [Timeframe, ...Timeframe[]]);

/**
 * One bar (candle) of a symbol, built by the hub from the bid of the ticks it accepted:
 * `time` is the bar's open time (UTC ms, aligned to the timeframe), `tickVolume` how many ticks
 * went into it. A `bar` event carries the current bar after each tick; a bar with a later
 * `time` means the previous one is final.
 */
export const barSchema = z.object({
  symbol: symbolName,
  timeframe: timeframeSchema,
  time: utcMillis,
  open: price,
  high: price,
  low: price,
  close: price,
  tickVolume: z.number().int().positive(),
}).strict();

export type Bar = z.output<typeof barSchema>;

/** Most levels per side of a depth book. */
export const MAX_DEPTH_LEVELS = 100;

const depthLevel = z.object({ price, volume }).strict();

/**
 * The order book of a symbol: bids best (highest) first, asks best (lowest) first. Every `depth`
 * event carries the whole book, which replaces the previous one (no level-by-level changes).
 */
export const depthSchema = z.object({
  symbol: symbolName,
  bids: z.array(depthLevel).max(MAX_DEPTH_LEVELS),
  asks: z.array(depthLevel).max(MAX_DEPTH_LEVELS),
  time: utcMillis,
}).strict();

export type DepthLevel = z.output<typeof depthLevel>;
export type DepthBook = z.output<typeof depthSchema>;

/** Lowest `maxRatePerSecond` a subscription may ask for: one tick per 10 s. */
export const MIN_TICK_RATE_PER_SECOND = 0.1;
/** Highest `maxRatePerSecond` a subscription may ask for. */
export const MAX_TICK_RATE_PER_SECOND = 1000;

/**
 * Options of a `Subscribe` call, applied to each topic of the call. `maxRatePerSecond` limits
 * the tick events of each ticks topic to at most that many per second for this subscriber, the
 * latest quote replacing older ones and the newest always delivered last; other events are
 * never conflated. Subscribing again to a topic replaces its options (none: every tick).
 */
export const subscribeOptionsSchema = z.object({
  maxRatePerSecond: z.number().min(MIN_TICK_RATE_PER_SECOND).max(MAX_TICK_RATE_PER_SECOND).optional(),
}).strict();

export type SubscribeOptions = z.output<typeof subscribeOptionsSchema>;
