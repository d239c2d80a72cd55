import { topicKindOf, type ResetReason, type ResyncNotice, type TopicPosition, type TradeEnvelope } from '@tradehub/shared';
import type { Logger } from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EnvelopeListener, HistoryResult, TradeBroker } from './broker/trade-broker.js';
import type { TradeMetrics } from '../observability/trade-metrics.js';

/** A gap repair tries history this many times (about 6 s in all) before asking for a resync. */
const HISTORY_ATTEMPTS = 6;
const HISTORY_RETRY_MS = 100;

/**
 * Who receives a subscription's events: a connection (as OnEvent and OnResync invocations) or a
 * hub stream. Identity matters: the same object must be given to hold, release and remove.
 */
export interface TopicConsumer {
  /** The next event of a topic, in seq order. */
  event(envelope: TradeEnvelope): void;
  /** The topic cannot go on without a gap: the consumer must start again from a snapshot. */
  resync(notice: ResyncNotice): void;
}

/** One consumer's subscription to one topic or wildcard on this node. */
interface Subscription {
  readonly consumer: TopicConsumer;
  /** Last position delivered, per concrete topic (one entry unless this is a wildcard). */
  readonly positions: Map<string, TopicPosition>;
  /**
   * Live events held back while the Subscribe answer is on its way or a gap is being repaired;
   * undefined while events flow straight through.
   */
  held: TradeEnvelope[] | undefined;
}

/**
 * Delivers a topic's events to this node's consumers: in seq order, each once, after the
 * snapshot or replay the consumer was answered with, and with gaps (events lost between the
 * broker and this node) repaired from history, or reported as a resync.
 */
export class TopicFanout {
  /** Subscriptions by topic or wildcard, then by consumer. */
  private readonly subscriptions = new Map<string, Map<TopicConsumer, Subscription>>();
  /** Topics and wildcards of each consumer, for its limit and to remove them all. */
  private readonly subscriptionsOf = new Map<TopicConsumer, Set<string>>();
  private readonly listeners = new Map<string, EnvelopeListener>();
  /** The broker subscription of each topic or wildcard this node listens to, settled or under way. */
  private readonly brokerSubscriptions = new Map<string, Promise<void>>();

  constructor(private readonly broker: TradeBroker, private readonly logger: Logger, private readonly metrics: TradeMetrics) {
    broker.onResubscribed(() => this.catchUp());
  }

  /**
   * Starts holding live events of `subscription` for the consumer. Call before reading the
   * snapshot or history, so that nothing published in between is missed; then `release`.
   */
  async hold(consumer: TopicConsumer, subscription: string): Promise<void> {
    let byConsumer = this.subscriptions.get(subscription);
    if (!byConsumer) {
      byConsumer = new Map();
      this.subscriptions.set(subscription, byConsumer);
    }
    byConsumer.set(consumer, { consumer, positions: new Map(), held: [] });
    let own = this.subscriptionsOf.get(consumer);
    if (!own) this.subscriptionsOf.set(consumer, (own = new Set()));
    own.add(subscription);
    let subscribed = this.brokerSubscriptions.get(subscription);
    if (!subscribed) {
      const listener: EnvelopeListener = (envelope) => this.onEnvelope(subscription, envelope);
      this.listeners.set(subscription, listener);
      subscribed = this.broker.subscribe(subscription, listener);
      this.brokerSubscriptions.set(subscription, subscribed);
    }
    // Every consumer waits for the broker's subscription, also one that is already under way:
    // its snapshot must not be read before live events can be heard.
    try {
      await subscribed;
    } catch (error) {
      if (this.brokerSubscriptions.get(subscription) === subscribed) {
        this.brokerSubscriptions.delete(subscription);
        this.listeners.delete(subscription);
      }
      await this.remove(consumer, subscription);
      throw error;
    }
  }

  /** The consumer was answered up to `positions`: deliver what was held after them, then live. */
  release(consumer: TopicConsumer, subscription: string, positions: ReadonlyMap<string, TopicPosition>): void {
    const entry = this.subscriptions.get(subscription)?.get(consumer);
    if (!entry) return;
    for (const [topic, position] of positions) entry.positions.set(topic, { ...position });
    this.flush(entry);
  }

  async remove(consumer: TopicConsumer, subscription: string): Promise<void> {
    const byConsumer = this.subscriptions.get(subscription);
    if (!byConsumer?.delete(consumer)) return;
    const own = this.subscriptionsOf.get(consumer);
    own?.delete(subscription);
    if (own?.size === 0) this.subscriptionsOf.delete(consumer);
    if (byConsumer.size > 0) return;
    this.subscriptions.delete(subscription);
    this.brokerSubscriptions.delete(subscription);
    const listener = this.listeners.get(subscription);
    if (!listener) return;
    this.listeners.delete(subscription);
    await this.broker.unsubscribe(subscription, listener).catch((error: unknown) => {
      this.logger.warn({ subscription, err: error }, 'could not unsubscribe from the broker');
    });
  }

  /** Removes the consumer's subscriptions, those `which` selects or all, and answers the ones removed. */
  async removeAll(consumer: TopicConsumer, which: (subscription: string) => boolean = () => true): Promise<string[]> {
    const removed = [...(this.subscriptionsOf.get(consumer) ?? [])].filter(which);
    await Promise.all(removed.map((subscription) => this.remove(consumer, subscription)));
    return removed;
  }

  /** How many topics and wildcards the consumer is subscribed to, those still being answered included. */
  subscriptionCount(consumer: TopicConsumer): number {
    return this.subscriptionsOf.get(consumer)?.size ?? 0;
  }

  isSubscribed(consumer: TopicConsumer, subscription: string): boolean {
    return this.subscriptions.get(subscription)?.has(consumer) ?? false;
  }

  /** How many consumers on this node follow a topic or wildcard (connections and streams). */
  consumerCount(subscription: string): number {
    return this.subscriptions.get(subscription)?.size ?? 0;
  }

  private onEnvelope(subscription: string, envelope: TradeEnvelope): void {
    const byConsumer = this.subscriptions.get(subscription);
    if (!byConsumer) return;
    // Counted once per event, not per delivery: the hot path adds one number and reads one clock.
    let delivered = 0;
    for (const entry of byConsumer.values()) {
      if (entry.held) entry.held.push(envelope);
      else if (this.deliver(entry, envelope)) delivered++;
    }
    if (delivered === 0) return;
    this.metrics.delivered[topicKindOf(envelope.type)].value += delivered;
    this.metrics.fanoutLatency.observe((Date.now() - envelope.hubTime) / 1000);
  }

  private flush(entry: Subscription): void {
    const held = entry.held ?? [];
    entry.held = undefined;
    for (let index = 0; index < held.length; index++) {
      // A delivery may start a repair, which holds again: keep the rest in order behind it.
      if (entry.held) {
        (entry.held as TradeEnvelope[]).push(...held.slice(index));
        return;
      }
      const envelope = held[index] as TradeEnvelope;
      if (this.deliver(entry, envelope)) this.metrics.delivered[topicKindOf(envelope.type)].value++;
    }
  }

  /** Hands the event to the consumer, or starts a repair; true when the consumer got it. */
  private deliver(entry: Subscription, envelope: TradeEnvelope): boolean {
    const position = entry.positions.get(envelope.topic);
    if (position && position.epoch === envelope.epoch) {
      if (envelope.seq <= position.seq) return false;
      if (envelope.seq > position.seq + 1) {
        this.repair(entry, envelope.topic, position, envelope);
        return false;
      }
    } else if (position) {
      this.resync(entry, envelope.topic, 'epoch_changed');
    } else if (envelope.seq > 1) {
      // A topic new to a wildcard subscription, whose first events this node did not see.
      this.repair(entry, envelope.topic, { epoch: envelope.epoch, seq: 0 }, envelope);
      return false;
    }
    entry.positions.set(envelope.topic, { epoch: envelope.epoch, seq: envelope.seq });
    entry.consumer.event(envelope);
    return true;
  }

  /** After a broker outage: every subscription fetches what was published while nothing was heard. */
  private catchUp(): void {
    for (const [subscription, byConsumer] of this.subscriptions) {
      // Held entries are still waiting for their Subscribe answer (or repairing already).
      const live = [...byConsumer.values()].filter((entry) => !entry.held);
      for (const entry of live) {
        for (const [topic, position] of entry.positions) this.repair(entry, topic, position, undefined);
      }
      if (subscription.endsWith('/*') && live.length > 0) void this.catchUpNewTopics(subscription, live);
    }
  }

  /**
   * A wildcard also covers topics that first appeared while nothing was heard: each consumer
   * without a position in one gets its events from the first, as if it had heard them. When
   * they cannot be looked up, the consumers are told to subscribe to the wildcard again.
   */
  private async catchUpNewTopics(wildcard: string, entries: readonly Subscription[]): Promise<void> {
    const subscribed = (entry: Subscription): boolean => this.subscriptions.get(wildcard)?.get(entry.consumer) === entry;
    for (let attempt = 0; ; attempt++) {
      try {
        for (const topic of await this.broker.topicsUnder(wildcard)) {
          const behind = (): Subscription[] => entries.filter((entry) => subscribed(entry) && !entry.positions.has(topic));
          if (behind().length === 0) continue;
          const { position } = await this.broker.snapshot(topic);
          for (const entry of behind()) this.repair(entry, topic, { epoch: position.epoch, seq: 0 }, undefined);
        }
        return;
      } catch (error) {
        if (attempt < HISTORY_ATTEMPTS - 1) {
          await sleep(HISTORY_RETRY_MS * 2 ** attempt);
          continue;
        }
        this.logger.warn({ wildcard, err: error }, 'could not look for topics new to a wildcard after an outage: asking for a resync');
        for (const entry of entries.filter(subscribed)) this.resync(entry, wildcard, 'history_gone');
        return;
      }
    }
  }

  /**
   * Fills a gap after `from` from history, then goes on with what arrived meanwhile (starting
   * with `trigger`, the event that revealed the gap, if any).
   */
  private repair(entry: Subscription, topic: string, from: TopicPosition, trigger: TradeEnvelope | undefined): void {
    const held = trigger ? [trigger] : [];
    if (entry.held) entry.held.push(...held);
    else entry.held = held;
    this.logger.info({ topic, from: from.seq, to: trigger?.seq }, 'repairing a gap from history');
    if (trigger && trigger.epoch === from.epoch) this.metrics.subscriptionLag.observe(trigger.seq - from.seq - 1);
    this.historyWithRetry(topic, from).then((result) => {
      if (result.kind === 'events') {
        for (const envelope of result.events) this.deliverRepaired(entry, envelope);
      } else {
        this.resync(entry, topic, result.reason);
        if (trigger) entry.positions.set(topic, { epoch: trigger.epoch, seq: trigger.seq - 1 });
      }
    }, (error: unknown) => {
      this.logger.warn({ topic, err: error }, 'history unavailable: asking for a resync');
      this.resync(entry, topic, 'history_gone');
      if (trigger) entry.positions.set(topic, { epoch: trigger.epoch, seq: trigger.seq - 1 });
    }).finally(() => this.flush(entry));
  }

  /** History, retried while the broker is still coming back from an outage. */
  private async historyWithRetry(topic: string, from: TopicPosition): Promise<HistoryResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.broker.history(topic, from);
      } catch (error) {
        if (attempt >= HISTORY_ATTEMPTS - 1) throw error;
        await sleep(HISTORY_RETRY_MS * 2 ** attempt);
      }
    }
  }

  private deliverRepaired(entry: Subscription, envelope: TradeEnvelope): void {
    const position = entry.positions.get(envelope.topic);
    if (position && position.epoch === envelope.epoch && envelope.seq <= position.seq) return;
    entry.positions.set(envelope.topic, { epoch: envelope.epoch, seq: envelope.seq });
    entry.consumer.event(envelope);
    this.metrics.replayed[topicKindOf(envelope.type)].value++;
  }

  private resync(entry: Subscription, topic: string, reason: ResetReason): void {
    entry.consumer.resync({ topic, reason });
  }
}
