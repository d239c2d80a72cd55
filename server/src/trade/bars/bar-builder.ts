import { TIMEFRAMES, Topics, type Bar, type BarEventInput, type Tick, type Timeframe, type TopicPosition } from '@tradehub/shared';
import { CappedMap } from '../../collections/capped-map.js';
import { nextBar } from './bar-rule.js';

/** A tick as the hub accepted it, with its platform. */
export interface AcceptedTick {
  platformId: string;
  tick: Tick;
}

/** Where bars are stored: shared by every node, so that each continues what the others stored. */
export interface BarStore {
  /** The current (last stored) bar of a bars topic and the topic's position. */
  current(topic: string): Promise<{ bar: Bar | undefined; position: TopicPosition }>;
  /** Stores a bar event while its topic is still at `expected`: its new position, or undefined when another node stored one first. */
  storeIfAt(event: BarEventInput, expected: TopicPosition): Promise<TopicPosition | undefined>;
}

export interface BarBuilderOptions {
  /** Series (symbol and timeframe) held in memory; past it, the least recently used are dropped (and read back when they tick again). */
  maxSeries: number;
  /** Ticks whose source time is further ahead of the clock than this make no bars (one wrong clock would otherwise freeze the series). */
  futureToleranceMs: number;
  now: () => number;
}

/** How often a bar is built again on a fresher state when other nodes keep storing first. */
const MAX_ATTEMPTS = 5;

interface Series {
  bar: Bar | undefined;
  /** The topic's position that `bar` is the state of. */
  position: TopicPosition;
}

/**
 * Turns accepted ticks into stored bar events, for every timeframe: exactly one `bar` event per
 * tick and timeframe, carrying the updated current bar, unless the tick is out of order for that
 * timeframe or too far in the future (see `nextBar`). Each series' current bar is kept here with
 * the topic position it reflects, and stored only if the topic is still there: when another node
 * stored a bar meanwhile, the series is read again and the bar built on it, so that nodes sharing
 * a broker never lose each other's ticks.
 *
 * Ticks of one symbol are applied in the order `build` was called with them, also across
 * overlapping calls; different symbols proceed side by side.
 */
export class BarBuilder {
  private readonly series: CappedMap<string, Series>;
  /** The last work under way per symbol, which the next waits for; an entry goes when its work ends (so at most one per symbol being built). */
  private readonly running = new Map<string, Promise<void>>();

  constructor(private readonly options: BarBuilderOptions, private readonly store: BarStore) {
    this.series = new CappedMap(options.maxSeries, () => false);
  }

  /** Builds and stores the bars of the ticks; resolves when all are stored, rejects with the first failure. */
  async build(ticks: readonly AcceptedTick[]): Promise<void> {
    const bySymbol = new Map<string, AcceptedTick[]>();
    for (const accepted of ticks) {
      const key = Topics.ticks(accepted.platformId, accepted.tick.symbol);
      const list = bySymbol.get(key);
      if (list) list.push(accepted);
      else bySymbol.set(key, [accepted]);
    }
    await settleAll([...bySymbol].map(([key, symbolTicks]) => this.after(key, async () => {
      for (const accepted of symbolTicks) await this.apply(accepted);
    })));
  }

  /** Runs `work` once the symbol's earlier work ended (however it ended). */
  private after(key: string, work: () => Promise<void>): Promise<void> {
    const previous = this.running.get(key) ?? Promise.resolve();
    const done = previous.catch(() => undefined).then(work);
    const tracked = done.catch(() => undefined).finally(() => {
      if (this.running.get(key) === tracked) this.running.delete(key);
    });
    this.running.set(key, tracked);
    return done;
  }

  private async apply({ platformId, tick }: AcceptedTick): Promise<void> {
    if (tick.time > this.options.now() + this.options.futureToleranceMs) return;
    await settleAll(TIMEFRAMES.map((timeframe) => this.applyTo(Topics.bars(platformId, tick.symbol, timeframe), platformId, tick, timeframe)));
  }

  private async applyTo(topic: string, platformId: string, tick: Tick, timeframe: Timeframe): Promise<void> {
    let series = this.series.get(topic) ?? await this.load(topic);
    for (let attempt = 1; ; attempt++) {
      const bar = nextBar(series.bar, tick, timeframe);
      if (!bar) return;
      const position = await this.store.storeIfAt({ type: 'bar', platformId, data: bar }, series.position);
      if (position) {
        this.series.set(topic, { bar, position });
        return;
      }
      if (attempt >= MAX_ATTEMPTS) throw new Error(`Bars of '${topic}' kept being stored by other nodes first; one tick was left out.`);
      series = await this.load(topic);
    }
  }

  private async load(topic: string): Promise<Series> {
    const { bar, position } = await this.store.current(topic);
    const series = { bar, position };
    this.series.set(topic, series);
    return series;
  }
}

/** Waits for every one of the operations, so that none still runs after a failure; then throws the first failure. */
async function settleAll(operations: ReadonlyArray<Promise<void>>): Promise<void> {
  const results = await Promise.allSettled(operations);
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) throw failure.reason;
}
