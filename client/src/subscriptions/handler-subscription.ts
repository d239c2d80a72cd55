import { ClientClosedError, TimeoutError, type TradehubError } from '../errors.js';
import { ConsumerTap, describe, type StreamAttachment, type TapSink } from './consumer-tap.js';
import type { TopicItem } from './items.js';

/** Called with each item, in order; it may return a promise, whose rejection is reported like a throw (it is not awaited). */
export type TopicHandler<T extends string> = (item: TopicItem<T>) => unknown;

/** What `client.subscribe()` gives back, once the server holds every topic. */
export interface Subscription {
  readonly topics: readonly string[];
  /** Stops the handler; a server subscription ends when no other consumer of its topic is left. */
  unsubscribe(): void;
  /** Resolves when the subscription ends: undefined after `unsubscribe()` or `close()`, the error otherwise. */
  readonly ended: Promise<TradehubError | undefined>;
}

/**
 * `client.subscribe(topics, handler)`: calls the handler synchronously with each item (for each
 * topic its snapshot first). A handler that throws is reported (the client's `error` event) and
 * keeps receiving items: it is the handler's own business.
 */
export class HandlerSubscription<T extends string> implements TapSink, Subscription {
  private readonly taps: ConsumerTap[];
  private startedTaps = 0;
  private done = false;
  readonly ended: Promise<TradehubError | undefined>;
  private resolveEnded: (error: TradehubError | undefined) => void = () => undefined;
  /** Settles when the server holds every topic, or the subscription fails first. */
  readonly ready: Promise<void>;
  private settleReady: (error?: TradehubError) => void = () => undefined;
  private startTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly topics: readonly string[],
    private readonly handler: TopicHandler<T>,
    private readonly reportHandlerError: (error: unknown) => void,
    private readonly attachment: StreamAttachment,
    startTimeoutMs: number,
    maxRatePerSecond?: number,
  ) {
    this.ended = new Promise((resolve) => {
      this.resolveEnded = resolve;
    });
    this.ready = new Promise<void>((resolve, reject) => {
      this.settleReady = (error) => (error ? reject(error) : resolve());
    });
    // Callers see a failure through `ready`; this keeps one nobody awaits from being reported as unhandled.
    this.ready.catch(() => undefined);
    this.taps = topics.map((topic) => new ConsumerTap(topic, this, maxRatePerSecond));
    this.startTimer = setTimeout(() => {
      if (this.startedTaps < this.taps.length) this.fail(new TimeoutError(`Subscribing to ${describe(topics)}`, startTimeoutMs));
    }, startTimeoutMs);
    try {
      for (const tap of this.taps) attachment.attach(tap);
    } catch (error) {
      this.finish(undefined);
      throw error;
    }
  }

  tapStarted(): void {
    this.startedTaps++;
    if (this.startedTaps < this.taps.length) return;
    this.clearStartTimer();
    this.settleReady();
  }

  deliver(item: TopicItem): void {
    if (this.done) return;
    try {
      const result = this.handler(item as TopicItem<T>);
      if (result instanceof Promise) result.catch((error: unknown) => this.reportHandlerError(error));
    } catch (error) {
      this.reportHandlerError(error);
    }
  }

  fail(error: TradehubError): void {
    this.finish(error);
  }

  end(): void {
    this.finish(undefined);
  }

  unsubscribe(): void {
    this.finish(undefined);
  }

  private finish(error: TradehubError | undefined): void {
    if (this.done) return;
    this.done = true;
    this.clearStartTimer();
    this.settleReady(error ?? new ClientClosedError());
    for (const tap of this.taps) this.attachment.detach(tap);
    this.resolveEnded(error);
  }

  private clearStartTimer(): void {
    if (this.startTimer !== undefined) clearTimeout(this.startTimer);
    this.startTimer = undefined;
  }
}
