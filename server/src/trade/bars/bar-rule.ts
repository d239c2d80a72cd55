import { TIMEFRAME_MS, type Bar, type Tick, type Timeframe } from '@tradehub/shared';

/** The open time of the bar a time falls in: the time rounded down to a multiple of the timeframe (UTC). */
export function barOpenTime(time: number, timeframe: Timeframe): number {
  return time - (time % TIMEFRAME_MS[timeframe]);
}

/**
 * The bar after one more tick, built from the tick's bid; undefined when the tick does not
 * count for this timeframe. The rule, applied in the order ticks were accepted:
 * - a tick in the current bar's period updates it: high and low widen to the bid, close is the
 *   bid, tickVolume grows by 1 (close is the last accepted tick's, even if its source time is
 *   earlier than the previous tick's within the same period);
 * - a tick in a later period opens a new bar there (open = high = low = close = bid, tickVolume 1):
 *   the current bar is then final;
 * - a tick in an earlier period (out of order, older than the current bar) is ignored: bars
 *   that are final never change.
 */
export function nextBar(current: Bar | undefined, tick: Tick, timeframe: Timeframe): Bar | undefined {
  const time = barOpenTime(tick.time, timeframe);
  const price = tick.bid;
  if (current === undefined || time > current.time) {
    return { symbol: tick.symbol, timeframe, time, open: price, high: price, low: price, close: price, tickVolume: 1 };
  }
  if (time < current.time) return undefined;
  return {
    ...current,
    high: Math.max(current.high, price),
    low: Math.min(current.low, price),
    close: price,
    tickVolume: current.tickVolume + 1,
  };
}
