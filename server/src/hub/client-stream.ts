import type { ZodType } from 'zod';
import { HubError } from './hub-error.js';

/**
 * A stream the client sends to a hub method parameter (an Observable or `Subject` on the
 * official clients). Iterate it with `for await`; iteration throws when the client ended the
 * stream with an error or sent an item that does not match the parameter's schema.
 */
export interface ClientStream<T> extends AsyncIterable<T> {
  /** The id the client gave the stream in the invocation's `streamIds`. */
  readonly streamId: string;
  /**
   * Waits for the next item, then returns it with the items already received after it, at most
   * `max` in all; undefined once the client completed the stream. Lets a consumer work in
   * batches without waiting for a batch to fill up.
   */
  readBatch(max: number): Promise<T[] | undefined>;
}

/**
 * The client completed its stream with an error, or the connection ended before it did. As in
 * ASP.NET (whose stream tracker completes the stream's channel with a HubException carrying the
 * client's text), it is a HubError: a method that lets it escape fails with
 * `... HubException: <the client's error>`, whether detailed errors are on or not; the text is the
 * client's own, so showing it back to that client tells it nothing new.
 */
export class ClientStreamError extends HubError {}

/** `full`: the item was taken and the buffer is now full: read nothing more for it until `onSpace`. */
export type PushResult = 'accepted' | 'full' | 'ignored';

/**
 * The server side of one client stream: validates items as they arrive and holds them, up to
 * `capacity`, until the hub method reads them. It does not refuse items: whoever feeds it stops
 * when it says `full`, and goes on when it calls `onSpace` (ASP.NET's bounded channel, whose full
 * buffer stops the connection's reading loop).
 */
export class ClientStreamChannel<T> implements ClientStream<T> {
  private readonly buffer: T[] = [];
  private received = 0;
  private ended = false;
  /** Thrown once to the reader after the buffered items, then iteration is done. */
  private failure: Error | undefined;
  /** The method stopped reading (broke out of its loop): later items are dropped. */
  private abandoned = false;
  private wake: (() => void) | undefined;

  constructor(
    readonly streamId: string,
    private readonly schema: ZodType<T>,
    private readonly capacity: number,
    /** Called when a full buffer got room again (an item was read, or the buffer was freed). */
    private readonly onSpace: () => void = () => undefined,
  ) {}

  /** Whether the buffer holds `capacity` unread items (or more, if its feeder did not stop). */
  get isFull(): boolean {
    return this.buffer.length >= this.capacity;
  }

  /** Takes one item from the client; 'full' when the buffer has no room for another. */
  push(value: unknown): PushResult {
    if (this.ended || this.abandoned) return 'ignored';
    this.received++;
    const parsed = this.schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]?.message ?? 'invalid value';
      // Items after a bad one cannot be trusted to mean what the client meant: end the stream.
      this.end(new HubError(`Item ${this.received} of stream '${this.streamId}' is invalid: ${issue}.`));
      return 'ignored';
    }
    this.buffer.push(parsed.data);
    this.notify();
    return this.isFull ? 'full' : 'accepted';
  }

  /** The client completed the stream, with an error or not; items already received are still read first. */
  end(error?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = error;
    this.notify();
  }

  async next(): Promise<IteratorResult<T, undefined>> {
    for (;;) {
      if (this.buffer.length > 0) return { done: false, value: this.take() };
      if (this.ended || this.abandoned) {
        const failure = this.failure;
        this.failure = undefined;
        if (failure) throw failure;
        return { done: true, value: undefined };
      }
      await new Promise<void>((resolve) => {
        const previous = this.wake;
        this.wake = () => {
          previous?.();
          resolve();
        };
      });
    }
  }

  async readBatch(max: number): Promise<T[] | undefined> {
    const first = await this.next();
    if (first.done) return undefined;
    const batch = [first.value];
    while (batch.length < max && this.buffer.length > 0) batch.push(this.take());
    return batch;
  }

  /** The method is done with the stream (it returned or threw): free what it left unread. */
  dispose(): void {
    this.ended = true;
    this.abandon();
  }

  private take(): T {
    const wasFull = this.isFull;
    const item = this.buffer.shift() as T;
    if (wasFull && !this.isFull) this.onSpace();
    return item;
  }

  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return {
      next: () => this.next(),
      return: async () => {
        this.abandon();
        return { done: true, value: undefined };
      },
    };
  }

  /** The reader is gone: free what is buffered and drop what still comes. */
  private abandon(): void {
    const wasFull = this.isFull;
    this.abandoned = true;
    this.buffer.length = 0;
    this.failure = undefined;
    this.notify();
    if (wasFull) this.onSpace();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
