import type { TradeEventInput } from '@tradehub/shared';
import { TimeoutError, TradehubError } from '../errors.js';
import { checkEvents, type PublishOptions } from './publish-call.js';

export interface PublisherOptions extends PublishOptions {
  /** Most events per `Publish` call (default 100, at most 1,000). */
  maxBatch?: number;
  /** Events written but not yet stored; beyond it `write` waits (default 10,000). */
  maxPending?: number;
}

export interface PublisherStats {
  /** Events the hub confirmed stored (duplicates included: they were stored before). */
  published: number;
  /** Of those, events whose id the hub had already stored. */
  duplicates: number;
}

/** How the publisher sends one batch: `client.publish`. */
export type PublishBatch = (events: TradeEventInput[], options: PublishOptions) => Promise<{ results: Array<{ duplicate: boolean }> }>;

/**
 * `client.publisher()`: a feed's way to publish a stream of events. `write` queues an event
 * (checked at once against the shared schema) and waits only while `maxPending` events are not
 * yet stored; the queue is sent in order, in batches, with the hub's `Publish`, each batch retried
 * across reconnects and node failovers when its events have ids. Batched `Publish` calls rather
 * than the hub's `PublishStream`: a client stream dies with its connection and leaves unknown
 * which events were taken, while a batch with ids can simply be sent again.
 * The first batch that cannot be published stops the publisher: the next `write`, `flush` and
 * `close` throw its error.
 */
export class Publisher {
  private readonly queue: TradeEventInput[] = [];
  private sending: Promise<void> | undefined;
  private failure: TradehubError | undefined;
  private closed = false;
  private readonly counts: PublisherStats = { published: 0, duplicates: 0 };
  private readonly drained = new Set<() => void>();
  private readonly maxBatch: number;
  private readonly maxPending: number;
  private inFlight = 0;

  constructor(private readonly publish: PublishBatch, private readonly options: PublisherOptions = {}) {
    this.maxBatch = Math.min(1000, Math.max(1, options.maxBatch ?? 100));
    this.maxPending = Math.max(1, options.maxPending ?? 10_000);
  }

  get stats(): PublisherStats {
    return { ...this.counts };
  }

  /**
   * Queues an event. Resolves once it is queued (at once, unless `maxPending` events wait to be
   * stored); rejects with the publisher's failure, an `InvalidEventError`, or a `TimeoutError`.
   */
  async write(event: TradeEventInput): Promise<void> {
    this.throwIfStopped();
    const [checked] = checkEvents([event]);
    if (this.pending >= this.maxPending) await this.waitFor(() => this.pending < this.maxPending, 'Waiting for room in the publisher');
    this.throwIfStopped();
    this.queue.push(checked as TradeEventInput);
    this.pump();
  }

  /** Resolves once every event written so far is stored; rejects with the publisher's failure. */
  async flush(): Promise<void> {
    await this.waitFor(() => this.pending === 0, 'Flushing the publisher');
    if (this.failure) throw this.failure;
  }

  /** Flushes, then refuses further writes; resolves with the counts. */
  async close(): Promise<PublisherStats> {
    try {
      await this.flush();
    } finally {
      this.closed = true;
    }
    return this.stats;
  }

  private get pending(): number {
    return this.queue.length + this.inFlight;
  }

  private throwIfStopped(): void {
    if (this.failure) throw this.failure;
    if (this.closed) throw new TradehubError('closed', 'The publisher is closed.');
  }

  private pump(): void {
    this.sending ??= this.sendAll().finally(() => {
      this.sending = undefined;
      this.notify();
    });
  }

  private async sendAll(): Promise<void> {
    while (this.queue.length > 0 && !this.failure) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight = batch.length;
      try {
        const { results } = await this.publish(batch, this.options);
        this.counts.published += results.length;
        this.counts.duplicates += results.filter((result) => result.duplicate).length;
      } catch (error) {
        this.failure = error as TradehubError;
        this.queue.length = 0;
      } finally {
        this.inFlight = 0;
        this.notify();
      }
    }
  }

  /**
   * Waits until `done()` holds or the publisher fails. Bounded by the publish time-out without
   * progress: every stored batch starts the wait over, so a long queue that moves is no time-out.
   */
  private waitFor(done: () => boolean, operation: string): Promise<void> {
    const timeoutMs = this.options.timeoutMs ?? 60_000;
    return new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const arm = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        timer = setTimeout(() => {
          this.drained.delete(check);
          reject(new TimeoutError(operation, timeoutMs));
        }, timeoutMs);
      };
      const check = (): void => {
        if (!done() && !this.failure) {
          arm();
          return;
        }
        if (timer !== undefined) clearTimeout(timer);
        this.drained.delete(check);
        resolve();
      };
      this.drained.add(check);
      check();
    });
  }

  private notify(): void {
    for (const check of [...this.drained]) check();
  }
}
