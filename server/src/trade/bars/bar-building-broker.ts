import { topicOf, type Bar, type HubEventInput, type TopicPosition, type TopicSnapshot } from '@tradehub/shared';
import type { Logger } from 'pino';
import type { EnvelopeListener, HistoryResult, PublishOutcome, TradeBroker } from '../broker/trade-broker.js';
import { BarBuilder, type AcceptedTick } from './bar-builder.js';

/**
 * A broker that also builds bars: every tick it stores (from any publisher: the hub, REST, the
 * Redis ingest channel, the simulator; duplicates excluded) is turned into bar events, which are
 * stored and delivered as ordinary events of their topics (history, replay, multi-node fan-out).
 * `publish` resolves once the bars of its ticks are stored too. A bar that cannot be stored is
 * logged, not reported to the tick's publisher: its tick is stored, and the next bar event of the
 * series carries the whole bar again.
 */
export class BarBuildingBroker implements TradeBroker {
  /** Bar building, one publish call at a time, so that bars follow ticks in the order they were accepted. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly inner: TradeBroker, private readonly builder: BarBuilder, private readonly logger: Logger) {}

  async publish(events: readonly HubEventInput[]): Promise<PublishOutcome[]> {
    const outcomes = await this.inner.publish(events);
    const ticks: AcceptedTick[] = [];
    for (const { envelope, duplicate } of outcomes) {
      if (!duplicate && envelope.type === 'tick') ticks.push({ platformId: envelope.platformId, tick: envelope.data });
    }
    if (ticks.length > 0) await this.enqueue(() => this.storeBars(ticks));
    return outcomes;
  }

  subscribe(subscription: string, listener: EnvelopeListener): Promise<void> {
    return this.inner.subscribe(subscription, listener);
  }

  unsubscribe(subscription: string, listener: EnvelopeListener): Promise<void> {
    return this.inner.unsubscribe(subscription, listener);
  }

  snapshot(topic: string): Promise<{ position: TopicPosition; snapshot: TopicSnapshot }> {
    return this.inner.snapshot(topic);
  }

  history(topic: string, since: TopicPosition): Promise<HistoryResult> {
    return this.inner.history(topic, since);
  }

  topicsUnder(wildcard: string): Promise<string[]> {
    return this.inner.topicsUnder(wildcard);
  }

  onResubscribed(listener: () => void): void {
    this.inner.onResubscribed(listener);
  }

  get ready(): boolean {
    return this.inner.ready;
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const done = this.queue.then(work);
    this.queue = done;
    return done;
  }

  /** Builds and stores the bars of some ticks; each topic's bars in order, the topics side by side. */
  private async storeBars(ticks: readonly AcceptedTick[]): Promise<void> {
    try {
      const bars = await this.builder.barsOf(ticks);
      const byTopic = new Map<string, HubEventInput[]>();
      for (const bar of bars) {
        const topic = topicOf(bar);
        const list = byTopic.get(topic);
        if (list) list.push(bar);
        else byTopic.set(topic, [bar]);
      }
      await Promise.all([...byTopic.values()].map((list) => this.inner.publish(list)));
    } catch (error) {
      this.logger.warn({ reason: (error as Error).message, ticks: ticks.length }, 'could not store bars built from ticks');
    }
  }
}

/** The last bar of a bars topic's snapshot: where its series goes on. */
export async function currentBarOf(broker: TradeBroker, topic: string): Promise<Bar | undefined> {
  const { snapshot } = await broker.snapshot(topic);
  return snapshot.kind === 'bars' ? snapshot.bars.at(-1) : undefined;
}

/** How long a series may stay untouched before it is read back from the store (see `BarBuilderOptions`). */
const RELOAD_AFTER_IDLE_MS = 10_000;
/** How far ahead of the node's clock a tick's source time may be and still make bars. */
const FUTURE_TOLERANCE_MS = 60_000;

/** The broker the hub uses: `inner`, building bars from the ticks it stores (`trade.barSeriesPerNode` series held). */
export function withBars(inner: TradeBroker, options: { barSeriesPerNode: number }, logger: Logger): TradeBroker {
  const builder = new BarBuilder({
    maxSeries: options.barSeriesPerNode,
    reloadAfterIdleMs: RELOAD_AFTER_IDLE_MS,
    futureToleranceMs: FUTURE_TOLERANCE_MS,
    now: Date.now,
  }, (topic) => currentBarOf(inner, topic));
  return new BarBuildingBroker(inner, builder, logger);
}
