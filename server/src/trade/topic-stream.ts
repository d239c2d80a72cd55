import type { ResyncNotice, TopicResult, TopicStreamItem, TradeEnvelope } from '@tradehub/shared';
import { HubError } from '../hub/hub-error.js';
import type { TopicConsumer } from './topic-fanout.js';

/** Live events a topic stream holds for a client that reads slower than they are published. */
export const TOPIC_STREAM_BACKLOG = 10_000;

/**
 * One `StreamTopic` call as a fan-out consumer: the topic's snapshot or replay first, then its
 * live events, as items of a hub stream. Events arrive whenever they are published and wait
 * here until the hub pulls them (as fast as the client reads), up to a bound.
 *
 * A hand-written iterator rather than an async generator: `return()` must end the stream at
 * once, even while `next()` waits for an event, so that a cancelled stream leaves the fan-out.
 */
export class TopicStream implements TopicConsumer, AsyncIterableIterator<TopicStreamItem, undefined> {
  private first: TopicResult | undefined;
  private readonly backlog: TradeEnvelope[] = [];
  private failure: HubError | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    readonly topic: string,
    /** Leaves the fan-out; called once, when the stream ends for any reason. */
    private readonly onClose: (stream: TopicStream) => Promise<void>,
    private readonly maxBacklog = TOPIC_STREAM_BACKLOG,
  ) {}

  /** Sets the snapshot or replay the stream starts with; call before the first `next()`. */
  begin(result: TopicResult): void {
    this.first = result;
    this.notify();
  }

  event(envelope: TradeEnvelope): void {
    if (this.closed) return;
    if (this.backlog.length >= this.maxBacklog) {
      this.fail(`The client did not read the stream of '${this.topic}' fast enough; stream it again with resume to catch up.`);
      return;
    }
    this.backlog.push(envelope);
    this.notify();
  }

  resync(notice: ResyncNotice): void {
    this.fail(`Topic '${notice.topic}' cannot go on without a gap (${notice.reason}); stream it again to get a snapshot.`);
  }

  async next(): Promise<IteratorResult<TopicStreamItem, undefined>> {
    for (;;) {
      const first = this.first;
      if (first) {
        this.first = undefined;
        return { done: false, value: first };
      }
      const failure = this.failure;
      if (failure) {
        this.failure = undefined;
        throw failure;
      }
      if (this.backlog.length > 0) return { done: false, value: this.backlog.shift() as TradeEnvelope };
      if (this.closed) return { done: true, value: undefined };
      await new Promise<void>((resolve) => {
        const previous = this.wake;
        this.wake = () => {
          previous?.();
          resolve();
        };
      });
    }
  }

  async return(): Promise<IteratorResult<TopicStreamItem, undefined>> {
    await this.close();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Ends the stream and leaves the fan-out; a `next()` waiting for an event returns done. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      this.backlog.length = 0;
      this.notify();
      // The fan-out logs its own failures to unsubscribe; nothing more to do about them here.
      this.closing = this.onClose(this).catch(() => undefined);
    }
    return this.closing;
  }

  /**
   * Ends the stream with an error for the client. What is still in the backlog is dropped: the
   * client resumes from the last event it received, and history replays the rest.
   */
  fail(message: string): void {
    if (this.closed) return;
    this.failure = new HubError(message);
    void this.close();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
