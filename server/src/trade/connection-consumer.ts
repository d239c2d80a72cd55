import { TradeClientMethod, topicMatches, wildcardOf, type ResyncNotice, type TradeEnvelope } from '@tradehub/shared';
import type { HubConnectionSink } from '../lifetime/hub-lifetime-manager.js';
import { SerializedHubMessage } from '../lifetime/serialized-hub-message.js';
import { MessageType } from '../protocol/messages.js';
import type { BufferedSink, TickConflation } from './tick-conflation.js';
import type { TopicConsumer } from './topic-fanout.js';

/** A connection's consumer; `close` when the connection is gone. */
export interface ConnectionConsumer extends TopicConsumer {
  /** Writes now the ticks held of the topics a subscription covers: an answer about them follows. */
  writeHeld(subscription: string): void;
  /**
   * Limits the ticks of a ticks topic or wildcard subscription to `maxRatePerSecond` (the latest
   * quote per topic, the newest always delivered last); undefined: every tick. A concrete
   * topic's own rate goes before its wildcard's.
   */
  setTickRate(subscription: string, maxRatePerSecond: number | undefined): void;
  close(): void;
}

/** One per connection, so that the fan-out finds a connection's subscriptions again by identity. */
const consumers = new WeakMap<HubConnectionSink, ConnectionConsumer>();
/** Each envelope is framed once for all the connections (of a protocol) it goes to. */
const framed = new WeakMap<TradeEnvelope, SerializedHubMessage>();

/** How a consumer puts events and resync notices on its connection, in that connection's own framing. */
export interface ConsumerOutput extends BufferedSink {
  writeEvent(envelope: TradeEnvelope): void;
  writeResync(notice: ResyncNotice): void;
}

/**
 * The consumer that delivers a connection's subscriptions as `OnEvent` and `OnResync`
 * invocations. Ticks pass through the node's conflation (only the latest per topic waits for a
 * congested connection, or for the subscription's rate); every other event is written.
 */
export function connectionConsumer(sink: HubConnectionSink, conflation: TickConflation): ConnectionConsumer {
  let consumer = consumers.get(sink);
  if (!consumer) {
    consumer = deliveringConsumer({
      get bufferedBytes() { return sink.bufferedBytes; },
      get unacknowledgedBytes() { return sink.unacknowledgedBytes; },
      writeEvent: (envelope) => sink.write(frame(envelope)),
      writeResync: (notice) => sink.write(new SerializedHubMessage({ type: MessageType.Invocation, target: TradeClientMethod.OnResync, arguments: [notice] })),
    }, conflation);
    consumers.set(sink, consumer);
  }
  return consumer;
}

/**
 * A consumer for any connection (a hub connection, a `/ws` socket): each event once, in order,
 * ticks through the node's conflation. Make one per connection and keep it: the fan-out knows
 * subscriptions by the consumer's identity.
 */
export function deliveringConsumer(output: ConsumerOutput, conflation: TickConflation): ConnectionConsumer {
  // A connection subscribed to a wildcard and to a topic under it hears the topic twice: the
  // last position delivered per topic lets each event through once.
  const delivered = new Map<string, { epoch: string; seq: number }>();
  const ticks = conflation.gate(output, (tick) => output.writeEvent(tick));
  /** Least time between two ticks, by subscription (topic or wildcard) that has a rate; bounded by the subscription limit. */
  const tickIntervals = new Map<string, number>();
  const intervalOf = (topic: string): number | undefined => {
    if (tickIntervals.size === 0) return undefined;
    const own = tickIntervals.get(topic);
    if (own !== undefined) return own;
    const wildcard = wildcardOf(topic);
    return wildcard === undefined ? undefined : tickIntervals.get(wildcard);
  };
  return {
    event: (envelope) => {
      const last = delivered.get(envelope.topic);
      if (last && last.epoch === envelope.epoch && envelope.seq <= last.seq) return;
      // Updated in place: the positions are this closure's own, and an object per delivery per connection adds up.
      if (last) {
        last.epoch = envelope.epoch;
        last.seq = envelope.seq;
      } else {
        delivered.set(envelope.topic, { epoch: envelope.epoch, seq: envelope.seq });
      }
      if (envelope.type === 'tick') ticks.offer(envelope, intervalOf(envelope.topic));
      else output.writeEvent(envelope);
    },
    writeHeld: (subscription) => ticks.writeHeld((topic) => topicMatches(subscription, topic)),
    setTickRate: (subscription, maxRatePerSecond) => {
      if (maxRatePerSecond === undefined) tickIntervals.delete(subscription);
      else tickIntervals.set(subscription, 1000 / maxRatePerSecond);
    },
    resync: (notice: ResyncNotice) => {
      ticks.writeHeld((topic) => topicMatches(notice.topic, topic));
      output.writeResync(notice);
    },
    close: () => ticks.forget(),
  };
}

function frame(envelope: TradeEnvelope): SerializedHubMessage {
  let message = framed.get(envelope);
  if (!message) {
    message = new SerializedHubMessage({ type: MessageType.Invocation, target: TradeClientMethod.OnEvent, arguments: [envelope] });
    framed.set(envelope, message);
  }
  return message;
}
