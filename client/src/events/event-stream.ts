import type { TopicPosition } from '@tradehub/shared';
import { ClientClosedError, ConsumerTooSlowError, TimeoutError, type TradehubError } from '../errors.js';
import { ConsumerTap, describe, type StreamAttachment, type TapSink } from '../subscriptions/consumer-tap.js';
import type { TopicItem } from '../subscriptions/items.js';
import { checkedTickRate } from '../subscriptions/tick-rate.js';
import { ItemBuffer } from './item-buffer.js';

export interface EventStreamOptions {
  /**
   * Items that may wait for the consumer (default 1,000). Ticks are conflated (a waiting tick is
   * replaced by a newer one of the same symbol); when any other event does not fit, the stream
   * ends with `ConsumerTooSlowError` once the items already buffered were read.
   */
  bufferSize?: number;
  /** Conflate waiting ticks per symbol (default true); false counts every tick like any event. */
  conflateTicks?: boolean;
  /** The server must hold the subscription within this time (default: the client's request time-out). */
  startTimeoutMs?: number;
  /**
   * Ticks of ticks topics at most this often per second, conflated by the server to the latest
   * quote per symbol, the newest always delivered last (0.1 to 1000; default: every tick). Other
   * events are never conflated.
   */
  maxRatePerSecond?: number;
}

export const DEFAULT_BUFFER_SIZE = 1000;

/**
 * `client.events(topics)`: subscriptions read with `for await`. For each topic its snapshot
 * comes first, then its events in order. Leaving the loop (`break`, `return()`) unsubscribes.
 * Errors (a refused topic, a client that failed for good, a consumer too slow) are thrown from
 * the loop; closing the client ends the loop normally.
 */
export class EventStream<T extends string = string> implements TapSink, AsyncIterableIterator<TopicItem<T>> {
  private readonly taps: ConsumerTap[];
  private startedTaps = 0;
  private readonly buffer: ItemBuffer<TopicItem<T>>;
  private failure: TradehubError | undefined;
  private ended = false;
  private wake: (() => void) | undefined;
  private startTimer: ReturnType<typeof setTimeout> | undefined;
  /** Where the consumer will stand once it has read what is buffered: the last position per topic. */
  private readonly positions: Record<string, TopicPosition> = {};
  /** Resolves once the server holds every topic of the stream (its snapshots are buffered); rejects when it fails first. */
  readonly ready: Promise<void>;
  private settleReady: (error?: TradehubError) => void = () => undefined;

  constructor(
    readonly topics: readonly string[],
    options: EventStreamOptions & { startTimeoutMs: number },
    private readonly attachment: StreamAttachment,
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.settleReady = (error) => (error ? reject(error) : resolve());
    });
    // The loop sees a failure too; this keeps a `ready` nobody awaits from being reported as unhandled.
    this.ready.catch(() => undefined);
    this.buffer = new ItemBuffer(options.bufferSize ?? DEFAULT_BUFFER_SIZE, options.conflateTicks ?? true);
    const maxRatePerSecond = checkedTickRate(options.maxRatePerSecond);
    this.taps = topics.map((topic) => new ConsumerTap(topic, this, maxRatePerSecond));
    this.startTimer = setTimeout(() => {
      if (this.startedTaps < this.taps.length) this.fail(new TimeoutError(`Subscribing to ${describe(topics)}`, options.startTimeoutMs));
    }, options.startTimeoutMs);
    try {
      for (const tap of this.taps) attachment.attach(tap);
    } catch (error) {
      this.leave();
      throw error;
    }
  }

  /** Whether the server holds every topic of the stream. */
  get started(): boolean {
    return this.startedTaps === this.taps.length;
  }

  tapStarted(): void {
    this.startedTaps++;
    if (!this.started) return;
    this.clearStartTimer();
    this.settleReady();
  }

  deliver(item: TopicItem): void {
    if (this.ended || this.failure) return;
    const typed = item as TopicItem<T>;
    // Snapshots and resets are bounded by the number of topics: they always fit.
    if (!this.buffer.push(typed, typed.kind !== 'event')) {
      this.fail(new ConsumerTooSlowError(describe(this.topics), this.buffer.capacity, { ...this.positions }));
      return;
    }
    if (typed.kind === 'event') this.positions[typed.topic] = { epoch: typed.event.epoch, seq: typed.event.seq };
    else if (typed.kind === 'snapshot') this.positions[typed.topic] = { epoch: typed.epoch, seq: typed.seq };
    this.notify();
  }

  fail(error: TradehubError): void {
    if (this.ended || this.failure) return;
    this.failure = error;
    this.leave();
    this.notify();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.leave();
    this.notify();
  }

  async next(): Promise<IteratorResult<TopicItem<T>, undefined>> {
    for (;;) {
      const item = this.buffer.shift();
      if (item) return { done: false, value: item };
      const failure = this.failure;
      if (failure) {
        this.failure = undefined;
        this.ended = true;
        throw failure;
      }
      if (this.ended) return { done: true, value: undefined };
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  async return(): Promise<IteratorResult<TopicItem<T>, undefined>> {
    this.buffer.clear();
    this.failure = undefined;
    this.end();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private leave(): void {
    this.clearStartTimer();
    this.settleReady(this.failure ?? new ClientClosedError());
    for (const tap of this.taps) this.attachment.detach(tap);
  }

  private clearStartTimer(): void {
    if (this.startTimer !== undefined) clearTimeout(this.startTimer);
    this.startTimer = undefined;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
