import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';

/** What the pump needs of a connection: somewhere to write items, and how much is still unsent. */
export interface StreamOutlet {
  readonly bufferedBytes: number;
  writeItem(invocationId: string, item: unknown): void;
}

const ABORTED = Symbol('aborted');

/** Longest pause between two looks at a connection's send buffer while it drains. */
const MAX_DRAIN_POLL_MS = 50;

/**
 * Pulls the items of a streaming hub method and writes each as a StreamItem, until the
 * iterator ends or throws, or `signal` aborts (the client cancelled, the connection ended).
 *
 * The next item is pulled only once the connection's send buffer is below `backpressureBytes`,
 * so a client that reads slowly slows the producer down rather than growing server memory.
 * On abort, the pump stops waiting at once, even for a producer that is busy, and asks the
 * iterator to finish (`return()`), which runs its `finally` blocks.
 *
 * @throws what the iterator threw
 */
export async function pumpStream(
  items: AsyncIterable<unknown>,
  invocationId: string,
  outlet: StreamOutlet,
  options: { backpressureBytes: number; signal: AbortSignal; logger: Logger },
): Promise<void> {
  const { signal, backpressureBytes, logger } = options;
  const iterator = items[Symbol.asyncIterator]();
  let exhausted = false;
  try {
    for (;;) {
      await drained(outlet, backpressureBytes, signal);
      if (signal.aborted) return;
      const next = await untilAborted(iterator.next(), signal);
      if (next === ABORTED) return;
      if (next.done) {
        exhausted = true;
        return;
      }
      // JSON has no undefined, and a StreamItem without `item` is invalid.
      outlet.writeItem(invocationId, next.value === undefined ? null : next.value);
    }
  } finally {
    // Like ASP.NET's `await using` of the enumerator: also after a throw, which is harmless for generators.
    if (!exhausted) stop(iterator, logger);
  }
}

/** Resolves once the connection has sent enough of what it buffered, or `signal` aborts. */
async function drained(outlet: StreamOutlet, limit: number, signal: AbortSignal): Promise<void> {
  // Polled: transports report how much they buffer, but not when it shrinks.
  let delay = 1;
  while (outlet.bufferedBytes > limit && !signal.aborted) {
    await sleep(delay, undefined, { signal }).catch(() => undefined);
    delay = Math.min(delay * 2, MAX_DRAIN_POLL_MS);
  }
}

/** `promise`, or ABORTED as soon as `signal` aborts; a later rejection of `promise` is then ignored. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve(ABORTED);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    promise.then((value) => {
      signal.removeEventListener('abort', onAbort);
      resolve(value);
    }, (error: unknown) => {
      signal.removeEventListener('abort', onAbort);
      reject(error);
    });
  });
}

/**
 * Asks the iterator to finish without waiting for it: a producer that ignores the abort
 * signal must not hold back the stream's final Completion.
 */
function stop(iterator: AsyncIterator<unknown>, logger: Logger): void {
  try {
    Promise.resolve(iterator.return?.()).catch((error: unknown) => {
      logger.warn({ err: error }, 'a streaming hub method failed while stopping');
    });
  } catch (error) {
    logger.warn({ err: error }, 'a streaming hub method failed while stopping');
  }
}
