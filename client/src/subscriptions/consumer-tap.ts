import type { TradehubError } from '../errors.js';
import type { TopicConsumer } from './consumer.js';
import type { TopicItem } from './items.js';

/** What several taps feed: one stream or handler subscription over several topics. */
export interface TapSink {
  /** One more of its topics is held by the server (its snapshots were delivered). */
  tapStarted(): void;
  deliver(item: TopicItem): void;
  fail(error: TradehubError): void;
  end(): void;
}

/**
 * One topic of a subscription to several: the engine consumes per topic, the sink merges them.
 * For each topic the snapshot comes first; items of different topics interleave as they arrive.
 */
export class ConsumerTap implements TopicConsumer {
  private isStarted = false;

  constructor(readonly topic: string, private readonly sink: TapSink, readonly maxRatePerSecond?: number) {}

  get started(): boolean {
    return this.isStarted;
  }

  start(): void {
    this.isStarted = true;
    this.sink.tapStarted();
  }

  deliver(item: TopicItem): void {
    this.sink.deliver(item);
  }

  fail(error: TradehubError): void {
    this.sink.fail(error);
  }

  end(): void {
    this.sink.end();
  }
}

/** How a stream or handler subscription joins and leaves the subscription engine. */
export interface StreamAttachment {
  /** @throws InvalidTopicError */
  attach(tap: ConsumerTap): void;
  detach(tap: ConsumerTap): void;
}

/** Names a subscription's topics in a message. */
export function describe(topics: readonly string[]): string {
  return topics.length === 1 ? `'${topics[0]}'` : `${topics.length} topics`;
}
