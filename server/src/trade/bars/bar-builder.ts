import { TIMEFRAMES, Topics, type Bar, type BarEventInput, type Tick, type Timeframe } from '@tradehub/shared';
import { CappedMap } from '../../collections/capped-map.js';
import { nextBar } from './bar-rule.js';

/** A tick as the hub accepted it, with its platform. */
export interface AcceptedTick {
  platformId: string;
  tick: Tick;
}

/** Reads the current (last stored) bar of a bars topic, to continue a series this node does not hold. */
export type CurrentBarLoader = (topic: string) => Promise<Bar | undefined>;

export interface BarBuilderOptions {
  /** Series (symbol and timeframe) held in memory; the least recently used go past it. */
  maxSeries: number;
  /**
   * A series untouched this long is read back from the store before its next tick: another node
   * may have continued it meanwhile (a feed that moved between nodes).
   */
  reloadAfterIdleMs: number;
  /** Ticks whose source time is further ahead of the clock than this do not make bars (a wrong clock would freeze them). */
  futureToleranceMs: number;
  now: () => number;
}

interface Series {
  bar: Bar | undefined;
  touchedAt: number;
}

/**
 * Turns accepted ticks into bar events for every timeframe: exactly one `bar` event per tick
 * and timeframe, carrying the updated current bar, unless the tick is out of order for that
 * timeframe or too far in the future (see `nextBar`). Each series' current bar is kept here,
 * bounded by `maxSeries`, and read back from the store when unknown or idle.
 *
 * Calls must not overlap (the caller serializes them), so that bars follow ticks in the order they were accepted.
 */
export class BarBuilder {
  private readonly series: CappedMap<string, Series>;

  constructor(private readonly options: BarBuilderOptions, private readonly load: CurrentBarLoader) {
    this.series = new CappedMap(options.maxSeries, (series) => this.isIdle(series));
  }

  /** The bar events of the ticks, in order: for each tick, one per timeframe it counts for. */
  async barsOf(ticks: readonly AcceptedTick[]): Promise<BarEventInput[]> {
    const events: BarEventInput[] = [];
    for (const { platformId, tick } of ticks) {
      const now = this.options.now();
      if (tick.time > now + this.options.futureToleranceMs) continue;
      const series = await Promise.all(TIMEFRAMES.map((timeframe) => this.seriesOf(platformId, tick.symbol, timeframe, now)));
      for (const [index, timeframe] of TIMEFRAMES.entries()) {
        const entry = series[index] as Series;
        const bar = nextBar(entry.bar, tick, timeframe);
        if (!bar) continue;
        entry.bar = bar;
        events.push({ type: 'bar', platformId, data: bar });
      }
    }
    return events;
  }

  private async seriesOf(platformId: string, symbol: string, timeframe: Timeframe, now: number): Promise<Series> {
    const topic = Topics.bars(platformId, symbol, timeframe);
    let series = this.series.get(topic);
    if (!series || this.isIdle(series)) {
      series = { bar: await this.load(topic), touchedAt: now };
    }
    series.touchedAt = now;
    this.series.set(topic, series);
    return series;
  }

  private isIdle(series: Series): boolean {
    return this.options.now() - series.touchedAt > this.options.reloadAfterIdleMs;
  }
}
