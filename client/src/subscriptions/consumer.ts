import type { TradehubError } from '../errors.js';
import type { TopicItem } from './items.js';

/**
 * Something that receives a subscription's items: a handler or an event stream. Once started,
 * it receives the snapshot of each of its topics, then events and resets, in order.
 */
export interface TopicConsumer {
  /** The topic or wildcard subscribed to. */
  readonly topic: string;
  /** Ticks of a ticks topic at most this often per second (see `SubscribeOptions`); undefined: every tick. */
  readonly maxRatePerSecond?: number | undefined;
  readonly started: boolean;
  /** The server holds the subscription: snapshots follow at once, then live items. */
  start(): void;
  deliver(item: TopicItem): void;
  /** The subscription ended for good: refused, the client failed, or the consumer fell behind. */
  fail(error: TradehubError): void;
  /** The client was closed by its owner. */
  end(): void;
}
