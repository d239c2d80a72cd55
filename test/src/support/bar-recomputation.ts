import { TIMEFRAME_MS, type Bar, type Tick, type Timeframe } from '@tradehub/shared';

/**
 * The bars of one symbol's ticks (in the order the hub accepted them), recomputed independently
 * of the server's builder: a tick counts for a timeframe when no earlier tick fell in a later
 * period; the counted ticks are grouped by period, and each group makes one bar (first bid
 * opens, last closes, extremes, count). `counted`: how many bar events the ticks must make.
 */
export function recomputeBars(ticks: readonly Tick[], timeframe: Timeframe): { bars: Bar[]; counted: number } {
  const length = TIMEFRAME_MS[timeframe];
  let latestPeriod = -Infinity;
  const groups = new Map<number, Tick[]>();
  for (const tick of ticks) {
    const period = Math.floor(tick.time / length);
    if (period < latestPeriod) continue;
    latestPeriod = period;
    groups.set(period, [...(groups.get(period) ?? []), tick]);
  }
  const bars = [...groups.entries()].sort(([a], [b]) => a - b).map(([period, group]): Bar => {
    const bids = group.map((tick) => tick.bid);
    return {
      symbol: (group[0] as Tick).symbol, timeframe, time: period * length,
      open: bids[0] as number, high: Math.max(...bids), low: Math.min(...bids), close: bids.at(-1) as number, tickVolume: group.length,
    };
  });
  return { bars, counted: [...groups.values()].reduce((sum, group) => sum + group.length, 0) };
}
