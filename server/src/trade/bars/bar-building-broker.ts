import type { HubEventInput, TopicPosition, TopicSnapshot, TradeEnvelope } from '@tradehub/shared';
import type { Logger } from 'pino';
import type { EnvelopeListener, ExpectedPosition, HistoryResult, LastEvent, PublishOutcome, TradeBroker } from '../broker/trade-broker.js';
import { BarBuilder, type AcceptedTick, type BarStore } from './bar-builder.js';

/**
 * A broker that also builds bars: every tick it stores (from any publisher: the hub, REST, the
 * Redis ingest channel, the simulator; duplicates excluded) is turned into bar events, which are
 * stored and delivered as ordinary events of their topics (history, replay, multi-node fan-out).
 * `publish` resolves once the bars of its ticks are stored too. A bar that cannot be stored (the
 * broker failed in between) is logged, not reported to the tick's publisher, whose tick is
 * stored: that tick is then missing from its bars, and the series goes on from what was stored.
 */
export class BarBuildingBroker implements TradeBroker {
  constructor(private readonly inner: TradeBroker, private readonly builder: BarBuilder, private readonly logger: Logger) {}

  async publish(events: readonly HubEventInput[]): Promise<PublishOutcome[]> {
    const outcomes = await this.inner.publish(events);
    const ticks: AcceptedTick[] = [];
    for (const { envelope, duplicate } of outcomes) {
      if (!duplicate && envelope.type === 'tick') ticks.push({ platformId: envelope.platformId, tick: envelope.data });
    }
    if (ticks.length > 0) await this.storeBars(ticks);
    return outcomes;
  }

  publishIfAt(event: HubEventInput, expected: ExpectedPosition): Promise<TradeEnvelope | undefined> {
    return this.inner.publishIfAt(event, expected);
  }

  lastEvent(topic: string): Promise<LastEvent> {
    return this.inner.lastEvent(topic);
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

  private async storeBars(ticks: readonly AcceptedTick[]): Promise<void> {
    try {
      await this.builder.build(ticks);
    } catch (error) {
      this.logger.warn({ reason: (error as Error).message, ticks: ticks.length }, 'could not store bars built from ticks');
    }
  }
}

/**
 * Bars stored through a broker: the current bar is the topic's last event (bars are stored in
 * time order, and nobody else publishes to bars topics).
 */
export function brokerBarStore(broker: TradeBroker): BarStore {
  return {
    current: async (topic) => {
      const { position, envelope } = await broker.lastEvent(topic);
      if (envelope?.type === 'bar') return { bar: envelope.data, position };
      if (position.seq === 0) return { bar: undefined, position };
      // Events but the last one not kept (a store that lost part of its history): the snapshot still has the bars.
      const { position: atSnapshot, snapshot } = await broker.snapshot(topic);
      return { bar: snapshot.kind === 'bars' ? snapshot.bars.at(-1) : undefined, position: atSnapshot };
    },
    storeIfAt: async (event, expected) => {
      const envelope = await broker.publishIfAt(event, expected);
      return envelope ? { epoch: envelope.epoch, seq: envelope.seq } : undefined;
    },
  };
}

/** How far ahead of the node's clock a tick's source time may be and still make bars. */
const FUTURE_TOLERANCE_MS = 60_000;

/** The broker the hub uses: `inner`, building bars from the ticks it stores (`trade.barSeriesPerNode` series held). */
export function withBars(inner: TradeBroker, options: { barSeriesPerNode: number }, logger: Logger): TradeBroker {
  const builder = new BarBuilder({
    maxSeries: options.barSeriesPerNode,
    futureToleranceMs: FUTURE_TOLERANCE_MS,
    now: Date.now,
  }, brokerBarStore(inner));
  return new BarBuildingBroker(inner, builder, logger);
}
