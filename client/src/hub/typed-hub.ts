import { Subject, type ISubscription } from '@microsoft/signalr';
import {
  topicResultSchema, tradeEnvelopeSchema, tradeEventInputSchema, type TradeHubArgs, type TradeHubInvocationName, type TradeHubResult,
  type TradeHubStreams, type TradeHubUploads,
} from '@tradehub/shared';
import * as z from 'zod';
import { schemaIssues } from '../util/schema-issues.js';
import { classifyInvocationError } from '../connection/classify-error.js';
import type { HubSession } from '../connection/hub-session.js';
import { ConsumerTooSlowError, InvalidEventError, MalformedServerMessageError, type TradehubError } from '../errors.js';
import { withTimeout } from '../util/timeout.js';

/**
 * Hub methods callers invoke directly; `Subscribe` and `Unsubscribe` belong to `subscribe()` and
 * `events()`, which keep resume positions, and `RenewToken` to the client's own in-band renewal,
 * which keeps track of the connection's token.
 */
export type PublicHubMethod = Exclude<TradeHubInvocationName, 'Subscribe' | 'Unsubscribe' | 'RenewToken'>;

/** Typed access to the trade hub's methods, from the shared `TradeHubInvocations`, `TradeHubStreams` and `TradeHubUploads` maps. */
export interface TradeHubAccess {
  /** Invokes a method once connected; rejects with a typed error (`HubMethodError`, `ConnectionLostError`, `TimeoutError`). */
  invoke<M extends PublicHubMethod>(method: M, ...args: TradeHubArgs<M>): Promise<TradeHubResult<M>>;
  /** A server-to-client stream, read with `for await`; each item is checked against the shared schema. */
  stream<M extends keyof TradeHubStreams>(method: M, ...args: TradeHubStreams[M]['args']): AsyncIterableIterator<TradeHubStreams[M]['item']>;
  /**
   * A method that takes a client stream (`PublishStream`): sends every item of `items`, then
   * resolves with the method's result. Items are sent as they come; the server closes a
   * connection that leaves more than its `clientStreamBufferCapacity` (1,024) items unread, so
   * feed it at the pace events are produced, or use `client.publisher()`.
   */
  upload<M extends keyof TradeHubUploads>(method: M, items: AsyncIterable<TradeHubUploads[M]['item']> | Iterable<TradeHubUploads[M]['item']>): Promise<TradeHubUploads[M]['result']>;
}

/** Item schemas of the streams, so that what a server streams is checked where it enters. */
const STREAM_ITEM_SCHEMAS: { [M in keyof TradeHubStreams]: z.ZodType<TradeHubStreams[M]['item']> } = {
  StreamTopic: z.union([topicResultSchema, tradeEnvelopeSchema]),
};

/** Items a hub stream may hold for a reader that lags; past this the stream ends with `ConsumerTooSlowError`. */
const STREAM_BUFFER = 10_000;

export class TypedHub implements TradeHubAccess {
  constructor(private readonly session: HubSession, private readonly requestTimeoutMs: number) {}

  /** Any invocable method, `Subscribe` included (the subscription engine uses it). */
  async invoke<M extends TradeHubInvocationName>(method: M, ...args: TradeHubArgs<M>): Promise<TradeHubResult<M>> {
    return this.invokeWithin(this.requestTimeoutMs, method, ...args);
  }

  async invokeWithin<M extends TradeHubInvocationName>(timeoutMs: number, method: M, ...args: TradeHubArgs<M>): Promise<TradeHubResult<M>> {
    await this.session.whenConnected(timeoutMs, method);
    try {
      return await withTimeout(this.session.connection.invoke<TradeHubResult<M>>(method, ...args), timeoutMs, method);
    } catch (error) {
      throw classifyInvocationError(error, method);
    }
  }

  stream<M extends keyof TradeHubStreams>(method: M, ...args: TradeHubStreams[M]['args']): AsyncIterableIterator<TradeHubStreams[M]['item']> {
    const schema = STREAM_ITEM_SCHEMAS[method];
    const items: Array<TradeHubStreams[M]['item']> = [];
    let failure: TradehubError | undefined;
    let finished = false;
    let wake: (() => void) | undefined;
    let subscription: ISubscription<unknown> | undefined;
    const notify = (): void => {
      const resolve = wake;
      wake = undefined;
      resolve?.();
    };
    const stop = (error: TradehubError | undefined): void => {
      if (finished) return;
      finished = true;
      failure = error;
      subscription?.dispose();
      notify();
    };
    const start = this.session.whenConnected(this.requestTimeoutMs, method).then(() => {
      if (finished) return;
      subscription = this.session.connection.stream<unknown>(method, ...args).subscribe({
        next: (raw) => {
          const parsed = schema.safeParse(raw);
          if (!parsed.success) stop(new MalformedServerMessageError(`${method} item`, schemaIssues(parsed.error)));
          else if (items.length >= STREAM_BUFFER) stop(new ConsumerTooSlowError(method, STREAM_BUFFER, {}));
          else {
            items.push(parsed.data);
            notify();
          }
        },
        error: (error: unknown) => stop(classifyInvocationError(error, method)),
        complete: () => stop(undefined),
      });
    }, (error: unknown) => stop(error as TradehubError));
    const iterator: AsyncIterableIterator<TradeHubStreams[M]['item']> = {
      next: async () => {
        await start;
        for (;;) {
          const item = items.shift();
          if (item !== undefined) return { done: false, value: item };
          if (finished) {
            const error = failure;
            failure = undefined;
            if (error) throw error;
            return { done: true, value: undefined };
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
      },
      return: async () => {
        items.length = 0;
        stop(undefined);
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  async upload<M extends keyof TradeHubUploads>(
    method: M,
    items: AsyncIterable<TradeHubUploads[M]['item']> | Iterable<TradeHubUploads[M]['item']>,
  ): Promise<TradeHubUploads[M]['result']> {
    await this.session.whenConnected(this.requestTimeoutMs, method);
    const subject = new Subject<TradeHubUploads[M]['item']>();
    const result = this.session.connection.invoke<TradeHubUploads[M]['result']>(method, subject);
    // Observed below; this keeps an early rejection (while items are still being read) from counting as unhandled.
    result.catch(() => undefined);
    let index = 0;
    try {
      for await (const item of items) {
        const checked = tradeEventInputSchema.safeParse(item);
        if (!checked.success) throw new InvalidEventError([`event ${index}: ${schemaIssues(checked.error)}`]);
        subject.next(checked.data);
        index++;
      }
      subject.complete();
    } catch (error) {
      subject.error(error instanceof Error ? error : new Error(String(error)));
      await result.catch(() => undefined);
      throw error;
    }
    try {
      return await withTimeout(result, this.requestTimeoutMs, method);
    } catch (error) {
      throw classifyInvocationError(error, method);
    }
  }
}
