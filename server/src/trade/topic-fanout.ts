import { TradeClientMethod, type ResetReason, type ResyncNotice, type TopicPosition, type TradeEnvelope } from '@tradehub/shared';
import type { Logger } from 'pino';
import type { HubConnectionSink } from '../lifetime/hub-lifetime-manager.js';
import { SerializedHubMessage } from '../lifetime/serialized-hub-message.js';
import { MessageType } from '../protocol/messages.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EnvelopeListener, HistoryResult, TradeBroker } from './broker/trade-broker.js';

/** A gap repair tries history this many times (about 6 s in all) before asking the client to resubscribe. */
const HISTORY_ATTEMPTS = 6;
const HISTORY_RETRY_MS = 100;

/** One connection's subscription to one topic or wildcard on this node. */
interface Subscription {
  readonly sink: HubConnectionSink;
  /** Last position delivered, per concrete topic (one entry unless this is a wildcard). */
  readonly positions: Map<string, TopicPosition>;
  /**
   * Live events held back while the Subscribe answer is on its way or a gap is being repaired;
   * undefined while events flow straight through.
   */
  held: TradeEnvelope[] | undefined;
}

/**
 * Delivers a topic's events to this node's subscribed connections: in seq order, each once,
 * after the snapshot or replay the connection was answered with, and with gaps (events lost
 * between the broker and this node) repaired from history, or reported with `OnResync`.
 */
export class TopicFanout {
  /** Subscriptions by topic or wildcard, then by connection. */
  private readonly subscriptions = new Map<string, Map<HubConnectionSink, Subscription>>();
  private readonly listeners = new Map<string, EnvelopeListener>();
  /** Each envelope is framed once for all connections of a protocol. */
  private readonly framed = new WeakMap<TradeEnvelope, SerializedHubMessage>();

  constructor(private readonly broker: TradeBroker, private readonly logger: Logger) {
    broker.onResubscribed(() => this.catchUp());
  }

  /**
   * Starts holding live events of `subscription` for the connection. Call before reading the
   * snapshot or history, so that nothing published in between is missed; then `release`.
   */
  async hold(sink: HubConnectionSink, subscription: string): Promise<void> {
    let bySink = this.subscriptions.get(subscription);
    if (!bySink) {
      bySink = new Map();
      this.subscriptions.set(subscription, bySink);
    }
    bySink.set(sink, { sink, positions: new Map(), held: [] });
    if (!this.listeners.has(subscription)) {
      const listener: EnvelopeListener = (envelope) => this.onEnvelope(subscription, envelope);
      this.listeners.set(subscription, listener);
      try {
        await this.broker.subscribe(subscription, listener);
      } catch (error) {
        this.listeners.delete(subscription);
        await this.remove(sink, subscription);
        throw error;
      }
    }
  }

  /** The connection was answered up to `positions`: deliver what was held after them, then live. */
  release(sink: HubConnectionSink, subscription: string, positions: ReadonlyMap<string, TopicPosition>): void {
    const entry = this.subscriptions.get(subscription)?.get(sink);
    if (!entry) return;
    for (const [topic, position] of positions) entry.positions.set(topic, { ...position });
    this.flush(entry);
  }

  async remove(sink: HubConnectionSink, subscription: string): Promise<void> {
    const bySink = this.subscriptions.get(subscription);
    if (!bySink?.delete(sink) || bySink.size > 0) return;
    this.subscriptions.delete(subscription);
    const listener = this.listeners.get(subscription);
    if (!listener) return;
    this.listeners.delete(subscription);
    await this.broker.unsubscribe(subscription, listener).catch((error: unknown) => {
      this.logger.warn({ subscription, err: error }, 'could not unsubscribe from the broker');
    });
  }

  async removeAll(sink: HubConnectionSink): Promise<void> {
    const subscribed = [...this.subscriptions].filter(([, bySink]) => bySink.has(sink)).map(([subscription]) => subscription);
    await Promise.all(subscribed.map((subscription) => this.remove(sink, subscription)));
  }

  isSubscribed(sink: HubConnectionSink, subscription: string): boolean {
    return this.subscriptions.get(subscription)?.has(sink) ?? false;
  }

  private onEnvelope(subscription: string, envelope: TradeEnvelope): void {
    for (const entry of this.subscriptions.get(subscription)?.values() ?? []) {
      if (entry.held) entry.held.push(envelope);
      else this.deliver(entry, envelope);
    }
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
      this.deliver(entry, held[index] as TradeEnvelope);
    }
  }

  private deliver(entry: Subscription, envelope: TradeEnvelope): void {
    const position = entry.positions.get(envelope.topic);
    if (position && position.epoch === envelope.epoch) {
      if (envelope.seq <= position.seq) return;
      if (envelope.seq > position.seq + 1) {
        this.repair(entry, envelope.topic, position, envelope);
        return;
      }
    } else if (position) {
      this.resync(entry, envelope.topic, 'epoch_changed');
    } else if (envelope.seq > 1) {
      // A topic new to a wildcard subscription, whose first events this node did not see.
      this.repair(entry, envelope.topic, { epoch: envelope.epoch, seq: 0 }, envelope);
      return;
    }
    entry.positions.set(envelope.topic, { epoch: envelope.epoch, seq: envelope.seq });
    entry.sink.write(this.frame(envelope));
  }

  /** After a broker outage: every subscription fetches what was published while nothing was heard. */
  private catchUp(): void {
    for (const bySink of this.subscriptions.values()) {
      for (const entry of bySink.values()) {
        if (entry.held) continue;
        for (const [topic, position] of entry.positions) this.repair(entry, topic, position, undefined);
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
    this.historyWithRetry(topic, from).then((result) => {
      if (result.kind === 'events') {
        for (const envelope of result.events) this.deliverRepaired(entry, envelope);
      } else {
        this.resync(entry, topic, result.reason);
        if (trigger) entry.positions.set(topic, { epoch: trigger.epoch, seq: trigger.seq - 1 });
      }
    }, (error: unknown) => {
      this.logger.warn({ topic, err: error }, 'history unavailable: asking the client to resubscribe');
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
    entry.sink.write(this.frame(envelope));
  }

  private resync(entry: Subscription, topic: string, reason: ResetReason): void {
    const notice: ResyncNotice = { topic, reason };
    entry.sink.write(new SerializedHubMessage({ type: MessageType.Invocation, target: TradeClientMethod.OnResync, arguments: [notice] }));
  }

  private frame(envelope: TradeEnvelope): SerializedHubMessage {
    let framed = this.framed.get(envelope);
    if (!framed) {
      framed = new SerializedHubMessage({ type: MessageType.Invocation, target: TradeClientMethod.OnEvent, arguments: [envelope] });
      this.framed.set(envelope, framed);
    }
    return framed;
  }
}
