import {
  parseTopic, topicOf, wildcardOf,
  type ResetReason, type TopicPosition, type TopicSnapshot, type TradeEnvelope, type HubEventInput,
} from '@tradehub/shared';
import type { Logger } from 'pino';
import type { RedisCommands } from '../../redis/redis-commands.js';
import type { RedisGuard } from '../../redis/redis-guard.js';
import type { RedisPubSub } from '../../redis/redis-pub-sub.js';
import { RedisUnavailableError, unavailabilityReason } from '../../redis/redis-unavailable-error.js';
import { randomText } from '../../random-text.js';
import { snapshotOf } from '../state/snapshot.js';
import { stateChangeOf, type StateLimits } from '../state/state-change.js';
import { historyLengthForTopic, historyLengthForType } from './history-length.js';
import { HISTORY_SCRIPT, LAST_EVENT_SCRIPT, PUBLISH_SCRIPT, SNAPSHOT_SCRIPT } from './redis-scripts.js';
import {
  BrokerUnavailableError, type EnvelopeListener, type ExpectedPosition, type HistoryResult, type LastEvent, type PublishOutcome, type TradeBroker,
} from './trade-broker.js';

export interface RedisTradeBrokerOptions extends StateLimits {
  keyPrefix: string;
  historyLength: number;
  dedupeWindowSeconds: number;
}

/**
 * Trade events shared by every node through Redis: per topic an epoch, an INCR sequence, a
 * bounded Stream of envelopes and a hash of current state, all changed by one Lua script per
 * event; delivery by PUBLISH (SPUBLISH on a cluster) on a channel per topic, which only nodes
 * with subscribers hear. A topic's keys and channel share the hash tag `{topic}`, so that on a
 * cluster the script runs on the topic's shard, and topics spread over the shards.
 */
export class RedisTradeBroker implements TradeBroker {
  private readonly listeners = new Map<string, Set<EnvelopeListener>>();
  /**
   * The last envelope text read and what it parsed to: an event on a topic that is also under a
   * subscribed wildcard arrives twice in a row (message and pmessage). Parsing it once also
   * gives both deliveries the same object, which the connections' framing cache is keyed by.
   */
  private lastText: string | undefined;
  private lastEnvelope: TradeEnvelope | undefined;
  /**
   * Wildcards whose index already holds a topic, so that its SADD (a command of its own: the
   * index lives on another slot than the topic) is not sent with every event. Bounded; forgotten
   * after an outage, when Redis may have lost data.
   */
  private readonly indexed = new Set<string>();

  constructor(
    private readonly commands: RedisCommands,
    private readonly pubSub: RedisPubSub,
    /** Every call goes through it, so that none waits longer than the command time-out. */
    private readonly guard: RedisGuard,
    private readonly options: RedisTradeBrokerOptions,
    private readonly logger: Logger,
  ) {
    pubSub.onResubscribed(() => this.indexed.clear());
  }

  /** Whether events can be stored and heard right now. */
  get ready(): boolean {
    return this.commands.isReady && this.pubSub.ready;
  }

  /** Called after the subscriber reconnected, so that gaps can be repaired from history. */
  onResubscribed(listener: () => void): void {
    // After an outage (or a failover, or a slot that moved) the subscriptions come back, but what
    // was published meanwhile was not heard: consumers catch up from history.
    this.pubSub.onResubscribed(listener);
  }

  async publish(events: readonly HubEventInput[]): Promise<PublishOutcome[]> {
    const outcomes: PublishOutcome[] = [];
    for (const event of events) {
      try {
        outcomes.push(await this.publishOne(event));
      } catch (error) {
        this.logger.warn({ reason: (error as Error).message, stored: outcomes.length }, 'publish to redis failed');
        // The wording is a contract: clients recognize "event store is unreachable" as retryable.
        throw new BrokerUnavailableError(
          `The event store is unreachable (${unavailabilityReason(error)}): ${outcomes.length} of ${events.length} event(s) were confirmed stored; `
          + 'the rest may or may not have been. Retry them with the same ids: an event with an id is stored once.',
        );
      }
    }
    return outcomes;
  }

  async publishIfAt(event: HubEventInput, expected: ExpectedPosition): Promise<TradeEnvelope | undefined> {
    try {
      const outcome = await this.publishOne(event, expected);
      return outcome?.envelope;
    } catch (error) {
      throw new BrokerUnavailableError(`The event store is unreachable (${unavailabilityReason(error)}).`);
    }
  }

  async subscribe(subscription: string, listener: EnvelopeListener): Promise<void> {
    let listeners = this.listeners.get(subscription);
    if (listeners) {
      listeners.add(listener);
      return;
    }
    listeners = new Set([listener]);
    this.listeners.set(subscription, listeners);
    const onMessage = (message: string): void => this.onMessage(subscription, message);
    const pattern = subscription.endsWith('/*') && this.pubSub.patterns;
    let issued = false;
    try {
      await this.guard.run(() => {
        issued = true;
        return pattern
          ? this.pubSub.pSubscribe(this.channelPattern(subscription), onMessage)
          : this.pubSub.subscribe(this.channel(subscription), onMessage);
      });
    } catch (error) {
      this.listeners.delete(subscription);
      // A SUBSCRIBE that timed out may still be answered: its listener must not stay behind to
      // deliver twice once the topic is subscribed again. Not awaited, since Redis may be silent.
      if (issued) {
        const leftover = pattern
          ? this.pubSub.pUnsubscribe(this.channelPattern(subscription), onMessage)
          : this.pubSub.unsubscribe(this.channel(subscription), onMessage);
        leftover.catch(() => undefined);
      }
      throw new BrokerUnavailableError(`Cannot subscribe to '${subscription}' now: ${(error as Error).message}`);
    }
  }

  async unsubscribe(subscription: string, listener: EnvelopeListener): Promise<void> {
    const listeners = this.listeners.get(subscription);
    if (!listeners?.delete(listener) || listeners.size > 0) return;
    this.listeners.delete(subscription);
    await this.available(() => subscription.endsWith('/*') && this.pubSub.patterns
      ? this.pubSub.pUnsubscribe(this.channelPattern(subscription))
      : this.pubSub.unsubscribe(this.channel(subscription)));
  }

  async snapshot(topic: string): Promise<{ position: TopicPosition; snapshot: TopicSnapshot }> {
    const parsed = parseTopic(topic);
    if (!parsed || parsed.wildcard) throw new Error(`'${topic}' is not a concrete topic.`);
    const keys = this.topicKeys(topic);
    const [epoch, seq, flat] = await this.available(() => SNAPSHOT_SCRIPT.run(
      this.commands, [keys.seq, keys.epoch, keys.history, keys.state], [newEpoch(), String(UNUSED_EPOCH_SECONDS)],
    )) as [string, number, string[]];
    const fields = new Map<string, unknown>();
    for (let index = 0; index + 1 < flat.length; index += 2) fields.set(flat[index] as string, JSON.parse(flat[index + 1] as string));
    return { position: { epoch, seq: Number(seq) }, snapshot: snapshotOf(parsed, fields) };
  }

  async lastEvent(topic: string): Promise<LastEvent> {
    const keys = this.topicKeys(topic);
    const [epoch, seq, last] = await this.available(() => LAST_EVENT_SCRIPT.run(
      this.commands, [keys.seq, keys.epoch, keys.history], [newEpoch(), String(UNUSED_EPOCH_SECONDS)],
    )) as [string, number, [string, [string, string]] | null];
    const position = { epoch, seq: Number(seq) };
    // The entry's id is its seq: an entry of an older seq (history lost in part) is not the last event.
    const text = last && Number.parseInt(last[0], 10) === position.seq ? last[1][1] : undefined;
    return { position, envelope: text === undefined ? undefined : JSON.parse(text) as TradeEnvelope };
  }

  async history(topic: string, since: TopicPosition): Promise<HistoryResult> {
    const keys = this.topicKeys(topic);
    const reply = await this.available(() => HISTORY_SCRIPT.run(
      this.commands, [keys.seq, keys.epoch, keys.history], [since.epoch, String(since.seq), String(historyLengthForTopic(topic, this.options.historyLength))],
    )) as ['reset', ResetReason] | ['events', string, number, string[]];
    if (reply[0] === 'reset') return { kind: 'reset', reason: reply[1] };
    const [, epoch, seq, texts] = reply;
    return { kind: 'events', position: { epoch, seq: Number(seq) }, events: texts.map((text) => JSON.parse(text) as TradeEnvelope) };
  }

  async topicsUnder(wildcard: string): Promise<string[]> {
    const topics = await this.available(() => this.commands.sMembers(this.key('topics', wildcard)));
    return topics.sort();
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  /** Stores one event; with `expected`, only while its topic is there (undefined otherwise). */
  private async publishOne(event: HubEventInput): Promise<PublishOutcome>;
  private async publishOne(event: HubEventInput, expected: ExpectedPosition): Promise<PublishOutcome | undefined>;
  private async publishOne(event: HubEventInput, expected?: ExpectedPosition): Promise<PublishOutcome | undefined> {
    const topic = topicOf(event);
    const keys = this.topicKeys(topic);
    const wildcard = wildcardOf(topic);
    const change = stateChangeOf(event, this.options);
    const withoutPosition = {
      v: 1, topic, type: event.type, platformId: event.platformId,
      time: event.data.time, hubTime: Date.now(), ...(event.id !== undefined ? { id: event.id } : {}), data: event.data,
    };
    if (wildcard !== undefined) await this.index(topic, wildcard);
    const scriptKeys = [keys.seq, keys.epoch, keys.history, keys.state];
    const dedupeIndex = event.id === undefined ? '' : String(scriptKeys.push(`${keys.dedupe}:${event.platformId}:${event.id}`));
    const writerIndex = expected === undefined ? '' : String(scriptKeys.push(keys.writer));
    const [isNew, text] = await this.guard.run(() => PUBLISH_SCRIPT.run(this.commands, scriptKeys, [
      JSON.stringify(withoutPosition),
      newEpoch(),
      String(historyLengthForType(event.type, this.options.historyLength)),
      change?.field ?? '',
      change && change.value !== null ? JSON.stringify(change.value) : '',
      String(this.options.dedupeWindowSeconds),
      topic,
      this.channel(topic),
      change?.maxFields !== undefined ? String(change.maxFields) : '',
      expected?.epoch ?? '',
      String(expected?.seq ?? 0),
      this.pubSub.publishCommand,
      dedupeIndex,
      writerIndex,
      expected?.writer ?? '',
      expected?.afterOwnWrite ? '1' : '',
    ])) as [number, string];
    if (Number(isNew) === 2) return undefined;
    if (Number(isNew) === 1 && wildcard !== undefined && !this.pubSub.patterns) await this.announceUnderWildcard(wildcard, text);
    return { envelope: JSON.parse(text) as TradeEnvelope, duplicate: Number(isNew) === 0 };
  }

  /** Adds a topic to its wildcard's index before its first event is stored, so that `topicsUnder` never misses a topic with events. */
  private async index(topic: string, wildcard: string): Promise<void> {
    if (this.indexed.has(topic)) return;
    await this.guard.run(() => this.commands.sAdd(this.key('topics', wildcard), topic));
    if (this.indexed.size >= MAX_INDEXED_TOPICS_KNOWN) this.indexed.clear();
    this.indexed.add(topic);
  }

  /**
   * Without pattern subscriptions (sharded pub/sub on a cluster), a wildcard has a channel of its
   * own, on its own shard, which gets every new event of its topics once stored. The event is
   * stored already: a failure here is not the publisher's (who would only send it again), and a
   * wildcard subscriber repairs the gap from history at the topic's next event.
   */
  private async announceUnderWildcard(wildcard: string, envelope: string): Promise<void> {
    await this.guard.run(() => this.pubSub.publish(this.channel(wildcard), envelope)).catch((error: unknown) => {
      this.logger.warn({ reason: (error as Error).message, wildcard }, 'could not announce an event on its wildcard channel');
    });
  }

  /** Runs Redis calls with the guard; Redis not serving now becomes the broker's own, retryable, refusal. */
  private async available<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await this.guard.run(operation);
    } catch (error) {
      if (error instanceof RedisUnavailableError) throw new BrokerUnavailableError(error.message, { cause: error });
      throw error;
    }
  }

  private onMessage(subscription: string, message: string): void {
    // Topic channels carry only what PUBLISH_SCRIPT wrote from validated events: a shape check
    // suffices here (external feeds use the validated ingest channel instead).
    let envelope: TradeEnvelope;
    if (message === this.lastText && this.lastEnvelope) {
      envelope = this.lastEnvelope;
    } else {
      try {
        envelope = JSON.parse(message) as TradeEnvelope;
      } catch {
        envelope = {} as TradeEnvelope;
      }
      this.lastText = message;
      this.lastEnvelope = envelope;
    }
    if (typeof envelope.topic !== 'string' || typeof envelope.seq !== 'number' || typeof envelope.epoch !== 'string') {
      this.logger.error({ subscription }, 'ignored a malformed envelope on a topic channel');
      return;
    }
    for (const listener of this.listeners.get(subscription) ?? []) listener(envelope);
  }

  /** A topic's keys: one hash tag, `{topic}`, puts them in one hash slot (on one cluster shard). */
  private topicKeys(topic: string): { seq: string; epoch: string; history: string; state: string; dedupe: string; writer: string } {
    const tagged = `{${topic}}`;
    return {
      seq: this.key('seq', tagged),
      epoch: this.key('epoch', tagged),
      history: this.key('history', tagged),
      state: this.key('state', tagged),
      dedupe: this.key('dedupe', tagged),
      writer: this.key('writer', tagged),
    };
  }

  private key(kind: string, name: string): string {
    return `${this.options.keyPrefix}:trade:${kind}:${name}`;
  }

  /** A topic's channel, in its topic's slot (the publish script announces on it); a wildcard's, in its own. */
  private channel(topicOrWildcard: string): string {
    return this.key('events', `{${topicOrWildcard}}`);
  }

  /** Pattern for a wildcard (classic pub/sub): its topics' channels, escaped so that only the final `*` matches. */
  private channelPattern(wildcard: string): string {
    return this.key('events', `{${wildcard.slice(0, -1)}`).replace(/[*?[\]\\]/g, '\\$&') + '*';
  }
}

/** How long the epoch of a topic that was read but never had events is kept (a subscriber meanwhile keeps its place). */
const UNUSED_EPOCH_SECONDS = 86_400;

/** How many indexed topics a node remembers (see `indexed`). */
const MAX_INDEXED_TOPICS_KNOWN = 10_000;

/** A candidate epoch for a topic that may have none yet (the script keeps the topic's own if it has one). */
function newEpoch(): string {
  return randomText(6);
}
