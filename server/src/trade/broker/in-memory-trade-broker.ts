import { parseTopic, topicMatches, topicOf, wildcardOf, type TopicPosition, type TopicSnapshot, type TradeEnvelope, type HubEventInput } from '@tradehub/shared';
import { randomText } from '../../random-text.js';
import { snapshotOf } from '../state/snapshot.js';
import { historyLengthForType } from './history-length.js';
import { stateChangeOf, type StateLimits } from '../state/state-change.js';
import type { EnvelopeListener, ExpectedPosition, HistoryResult, LastEvent, PublishOutcome, TradeBroker } from './trade-broker.js';

interface TopicLog {
  epoch: string;
  seq: number;
  history: TradeEnvelope[];
  state: Map<string, unknown>;
  /** The writer of the last conditional publish (see `ExpectedPosition`). */
  writer?: string;
}

export interface InMemoryTradeBrokerOptions extends StateLimits {
  /** Events kept per topic for replay. */
  historyLength: number;
  /** How long an event id is remembered for de-duplication. */
  dedupeWindowMs: number;
}

/** Everything in this process: the embedded default, with the same guarantees within one node. */
export class InMemoryTradeBroker implements TradeBroker {
  private readonly topics = new Map<string, TopicLog>();
  private readonly epoch = randomText(6);
  private readonly listeners = new Map<string, Set<EnvelopeListener>>();
  private readonly seenIds = new Map<string, { envelope: TradeEnvelope; until: number }>();

  constructor(private readonly options: InMemoryTradeBrokerOptions) {}

  async publish(events: readonly HubEventInput[]): Promise<PublishOutcome[]> {
    const now = Date.now();
    const outcomes: PublishOutcome[] = [];
    for (const event of events) {
      const dedupeKey = event.id === undefined ? undefined : `${event.platformId}\u0000${event.id}`;
      const seen = dedupeKey === undefined ? undefined : this.seenIds.get(dedupeKey);
      if (seen && seen.until > now) {
        outcomes.push({ envelope: seen.envelope, duplicate: true });
        continue;
      }
      const topic = topicOf(event);
      const log = this.log(topic);
      log.seq += 1;
      const envelope = {
        v: 1, topic, type: event.type, platformId: event.platformId, seq: log.seq, epoch: log.epoch,
        time: event.data.time, hubTime: now, ...(event.id !== undefined ? { id: event.id } : {}), data: event.data,
      } as TradeEnvelope;
      log.history.push(envelope);
      const historyLength = historyLengthForType(event.type, this.options.historyLength);
      if (log.history.length > historyLength) log.history.splice(0, log.history.length - historyLength);
      const change = stateChangeOf(event, this.options);
      if (change) {
        if (change.value === null) log.state.delete(change.field);
        else log.state.set(change.field, change.value);
        if (change.maxFields !== undefined) dropLowestFields(log.state, change.maxFields);
      }
      if (dedupeKey !== undefined) this.seenIds.set(dedupeKey, { envelope, until: now + this.options.dedupeWindowMs });
      outcomes.push({ envelope, duplicate: false });
      this.deliver(envelope);
    }
    this.forgetExpiredIds(now);
    return outcomes;
  }

  async publishIfAt(event: HubEventInput, expected: ExpectedPosition): Promise<TradeEnvelope | undefined> {
    const topic = topicOf(event);
    const current = this.topics.get(topic) ?? this.emptyLog();
    if (current.epoch !== expected.epoch || current.seq !== expected.seq) return undefined;
    if (expected.afterOwnWrite && current.writer !== expected.writer) return undefined;
    // Synchronous up to here and through `publish`'s body: stores sent one after another apply in that order.
    const stored = this.publish([event]);
    this.log(topic).writer = expected.writer;
    const [outcome] = await stored;
    return outcome?.envelope;
  }

  async lastEvent(topic: string): Promise<LastEvent> {
    const log = this.topics.get(topic) ?? this.emptyLog();
    const envelope = log.history.at(-1);
    return { position: { epoch: log.epoch, seq: log.seq }, envelope: envelope?.seq === log.seq ? envelope : undefined };
  }

  async subscribe(subscription: string, listener: EnvelopeListener): Promise<void> {
    let set = this.listeners.get(subscription);
    if (!set) this.listeners.set(subscription, (set = new Set()));
    set.add(listener);
  }

  async unsubscribe(subscription: string, listener: EnvelopeListener): Promise<void> {
    const set = this.listeners.get(subscription);
    if (!set) return;
    set.delete(listener);
    if (set.size === 0) this.listeners.delete(subscription);
  }

  async snapshot(topic: string): Promise<{ position: TopicPosition; snapshot: TopicSnapshot }> {
    const parsed = parseTopic(topic);
    if (!parsed || parsed.wildcard) throw new Error(`'${topic}' is not a concrete topic.`);
    const log = this.topics.get(topic) ?? this.emptyLog();
    return { position: { epoch: log.epoch, seq: log.seq }, snapshot: snapshotOf(parsed, log.state) };
  }

  async history(topic: string, since: TopicPosition): Promise<HistoryResult> {
    const log = this.topics.get(topic) ?? this.emptyLog();
    if (since.epoch !== log.epoch) return { kind: 'reset', reason: 'epoch_changed' };
    if (since.seq > log.seq) return { kind: 'reset', reason: 'ahead_of_server' };
    const oldest = log.history[0]?.seq ?? log.seq + 1;
    if (since.seq + 1 < oldest) return { kind: 'reset', reason: 'history_gone' };
    return {
      kind: 'events',
      position: { epoch: log.epoch, seq: log.seq },
      events: log.history.slice(Math.max(0, since.seq + 1 - oldest)),
    };
  }

  async topicsUnder(wildcard: string): Promise<string[]> {
    return [...this.topics.keys()].filter((topic) => topicMatches(wildcard, topic)).sort();
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  /** Nothing between publisher and subscriber can fail in one process. */
  readonly ready = true;

  onResubscribed(): void {
    // Delivery in one process never pauses, so there is never anything to catch up on.
  }

  /**
   * A topic gets its log with its first event; reading one that has none stores nothing. Every
   * topic of this process shares one epoch: its history resets only when the process restarts,
   * and a reader of an empty topic keeps its place when the first event comes.
   */
  private log(topic: string): TopicLog {
    let log = this.topics.get(topic);
    if (!log) {
      log = this.emptyLog();
      this.topics.set(topic, log);
    }
    return log;
  }

  private emptyLog(): TopicLog {
    return { epoch: this.epoch, seq: 0, history: [], state: new Map() };
  }

  private deliver(envelope: TradeEnvelope): void {
    const wildcard = wildcardOf(envelope.topic);
    for (const subscription of wildcard === undefined ? [envelope.topic] : [envelope.topic, wildcard]) {
      for (const listener of this.listeners.get(subscription) ?? []) listener(envelope);
    }
  }

  private forgetExpiredIds(now: number): void {
    if (this.seenIds.size < 10_000) return;
    for (const [key, seen] of this.seenIds) if (seen.until <= now) this.seenIds.delete(key);
  }
}

/** Drops the fields with the lowest names while there are more than `maxFields` (the oldest bars). */
function dropLowestFields(state: Map<string, unknown>, maxFields: number): void {
  const excess = state.size - maxFields;
  if (excess <= 0) return;
  for (const field of [...state.keys()].sort().slice(0, excess)) state.delete(field);
}
