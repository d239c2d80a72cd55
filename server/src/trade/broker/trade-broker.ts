import { ServiceUnavailableError } from '../../errors/service-unavailable-error.js';
import type { TopicPosition, TopicSnapshot, TradeEnvelope, HubEventInput } from '@tradehub/shared';

export type EnvelopeListener = (envelope: TradeEnvelope) => void;

export interface PublishOutcome {
  envelope: TradeEnvelope;
  /** True when an event with the same id was already stored: `envelope` is the stored one. */
  duplicate: boolean;
}

/** Where a conditional publish expects its topic to be (see `TradeBroker.publishIfAt`). */
export interface ExpectedPosition extends TopicPosition {
  /** Who stores: kept with the topic as its last conditional writer. */
  writer?: string;
  /**
   * Also require that the topic's last conditional event was stored by `writer`. A writer that
   * sends several stores without waiting for each (each expecting the position the previous one
   * leads to) sets it on all but the first: if one of them is refused because another node stored
   * first, none of the later ones can land after that other node's event merely because the
   * topic happens to be at the seq they expect.
   */
  afterOwnWrite?: boolean;
}

/** A topic's position and its last stored event (undefined when it has none, or none kept). */
export interface LastEvent {
  position: TopicPosition;
  envelope: TradeEnvelope | undefined;
}

export type HistoryResult =
  | { kind: 'events'; position: TopicPosition; events: TradeEnvelope[] }
  | { kind: 'reset'; reason: 'epoch_changed' | 'history_gone' | 'ahead_of_server' };

/**
 * Carries trade events between publishers and the hub nodes that have subscribers, and keeps
 * what recovery needs: per-topic sequence numbers, bounded history and current state (the
 * `Broker` seam). One implementation lives in this process; another shares everything
 * through Redis.
 */
export interface TradeBroker {
  /**
   * Numbers, stores and delivers events, in input order. Within a topic, seq is assigned
   * atomically across nodes and grows by 1.
   * @throws BrokerUnavailableError when the events cannot be stored now; none of them is then lost silently.
   */
  publish(events: readonly HubEventInput[]): Promise<PublishOutcome[]>;
  /**
   * Stores one event (without id) only while its topic is still at `expected.seq` in
   * `expected.epoch` (seq 0: no event yet) and, with `afterOwnWrite`, its last conditional event
   * is `expected.writer`'s, atomically across nodes: what a node that derives events from a
   * topic's state uses, so that two nodes never build on the same state. Undefined when the topic
   * moved on: read it again and retry. Stores sent one after another on one topic are applied in
   * the order they were sent.
   * @throws BrokerUnavailableError
   */
  publishIfAt(event: HubEventInput, expected: ExpectedPosition): Promise<TradeEnvelope | undefined>;
  /**
   * The topic's position and its last event, read atomically: what a node that derives events
   * needs to go on from, without the whole snapshot. A topic never written gets its epoch here,
   * as with `snapshot`, so that a conditional publish at seq 0 can follow.
   * @throws BrokerUnavailableError
   */
  lastEvent(topic: string): Promise<LastEvent>;
  /** Starts delivering a topic (or a `/*` wildcard) to this node; only nodes with listeners receive traffic. */
  subscribe(subscription: string, listener: EnvelopeListener): Promise<void>;
  unsubscribe(subscription: string, listener: EnvelopeListener): Promise<void>;
  /** The topic's state and the position it reflects, read atomically. */
  snapshot(topic: string): Promise<{ position: TopicPosition; snapshot: TopicSnapshot }>;
  /** The events after `since`, or why they cannot be replayed. */
  history(topic: string, since: TopicPosition): Promise<HistoryResult>;
  /** Concrete topics under a wildcard that have had events. */
  topicsUnder(wildcard: string): Promise<string[]>;
  /**
   * Registers a callback for when delivery resumes after an outage of the broker's transport,
   * during which events may have been published but not heard.
   */
  onResubscribed(listener: () => void): void;
  /** Whether events can be stored and heard right now. */
  readonly ready: boolean;
  close(): Promise<void>;
}

/** The broker cannot serve now (its store is unreachable, silent or refuses writes); the caller should retry. */
export class BrokerUnavailableError extends ServiceUnavailableError {
  override readonly name = 'BrokerUnavailableError';
}
