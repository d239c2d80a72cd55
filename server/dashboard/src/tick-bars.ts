import { TIMEFRAME_MS, type Bar, type Tick, type Timeframe } from '@tradehub/client';

/**
 * Candles of one symbol built in the page from its ticks (bid prices, as the hub builds them),
 * for hubs that have no bars topics. Only the current bar is kept: the chart keeps the others.
 */
export class TickBars {
  private current: Bar | undefined;

  constructor(private readonly symbol: string, private readonly timeframe: Timeframe) {}

  /** The updated current bar, or undefined for another symbol's tick or one older than the current bar. */
  add(tick: Tick): Bar | undefined {
    if (tick.symbol !== this.symbol) return undefined;
    const length = TIMEFRAME_MS[this.timeframe];
    const time = Math.floor(tick.time / length) * length;
    const current = this.current;
    if (current && time < current.time) return undefined;
    this.current = current && current.time === time
      ? { ...current, high: Math.max(current.high, tick.bid), low: Math.min(current.low, tick.bid), close: tick.bid, tickVolume: current.tickVolume + 1 }
      : { symbol: this.symbol, timeframe: this.timeframe, time, open: tick.bid, high: tick.bid, low: tick.bid, close: tick.bid, tickVolume: 1 };
    return this.current;
  }
}
