import { TIMEFRAMES, Topics, type Tick } from '@tradehub/shared';
import { CappedMap } from '../../collections/capped-map.js';
import { randomText } from '../../random-text.js';
import { BarSeriesWriter, type BarSeriesLimits, type BarStore } from './bar-series-writer.js';

export type { BarStore } from './bar-series-writer.js';

/** A tick as the hub accepted it, with its platform. */
export interface AcceptedTick {
  platformId: string;
  tick: Tick;
}

export interface BarBuilderOptions extends Partial<BarSeriesLimits> {
  /** Series (symbol and timeframe) held in memory; past it, idle ones are dropped first (and read back when they tick again). */
  maxSeries: number;
  /** Ticks whose source time is further ahead of the clock than this make no bars (one wrong clock would otherwise freeze the series). */
  futureToleranceMs: number;
  now: () => number;
}

const DEFAULT_LIMITS: BarSeriesLimits = { maxInFlight: 256, maxWaiting: 10_000, maxAttempts: 16 };

/**
 * Turns accepted ticks into stored bar events, for every timeframe: exactly one `bar` event per
 * tick and timeframe, carrying the updated current bar, unless the tick is out of order for that
 * timeframe or too far in the future (see `nextBar`). Each series has its writer
 * (`BarSeriesWriter`), which pipelines its stores and builds on what other nodes stored when they
 * stored first, so that nodes sharing a broker never lose each other's ticks.
 *
 * Ticks of one symbol are applied in the order `build` was called with them, also across
 * overlapping calls; different series proceed side by side.
 */
export class BarBuilder {
  private readonly series: CappedMap<string, BarSeriesWriter>;
  private readonly writerPrefix = randomText(6);
  private readonly limits: BarSeriesLimits;

  constructor(private readonly options: BarBuilderOptions, private readonly store: BarStore) {
    // A writer with work under way is only dropped when every held series is busy; its work still
    // ends, and the series' next writer reads what it stored.
    this.series = new CappedMap(options.maxSeries, (writer) => writer.idle);
    this.limits = {
      maxInFlight: options.maxInFlight ?? DEFAULT_LIMITS.maxInFlight,
      maxWaiting: options.maxWaiting ?? DEFAULT_LIMITS.maxWaiting,
      maxAttempts: options.maxAttempts ?? DEFAULT_LIMITS.maxAttempts,
    };
  }

  /** Builds and stores the bars of the ticks; resolves when all are stored, rejects with the first failure. */
  async build(ticks: readonly AcceptedTick[]): Promise<void> {
    const stores: Array<Promise<void>> = [];
    const horizon = this.options.now() + this.options.futureToleranceMs;
    for (const { platformId, tick } of ticks) {
      if (tick.time > horizon) continue;
      for (const timeframe of TIMEFRAMES) {
        const topic = Topics.bars(platformId, tick.symbol, timeframe);
        const writer = this.series.get(topic);
        if (writer) {
          stores.push(writer.add(tick));
          continue;
        }
        const created = new BarSeriesWriter(topic, platformId, timeframe, this.store, this.writerPrefix, this.limits);
        // Added to before it is held: a writer with work is not idle, so holding it cannot drop it at once.
        stores.push(created.add(tick));
        this.series.set(topic, created);
      }
    }
    await settleAll(stores);
  }
}

/** Waits for every one of the operations, so that none still runs after a failure; then throws the first failure. */
async function settleAll(operations: ReadonlyArray<Promise<void>>): Promise<void> {
  const results = await Promise.allSettled(operations);
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) throw failure.reason;
}
