import { TimeoutError } from '../errors.js';

/**
 * Resolves or rejects as `work` does, or rejects with a `TimeoutError` after `ms`; `onTimeout`
 * may cancel the work. The timer never outlives the wait.
 */
export function withTimeout<T>(work: Promise<T>, ms: number, operation: string, onTimeout?: () => void): Promise<T> {
  if (!Number.isFinite(ms)) return work;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      try {
        onTimeout?.();
      } finally {
        reject(new TimeoutError(operation, ms));
      }
    }, ms);
    work.then((value) => {
      clearTimeout(timer);
      resolve(value);
    }, (error: unknown) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Waits `ms`, or less when `signal` aborts (then resolves early: callers check the signal). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Lets a timer not keep a Node process alive (no-op in browsers, whose timers have no `unref`). */
export function unrefTimer(timer: ReturnType<typeof setTimeout>): void {
  const handle = timer as unknown as { unref?: () => void };
  handle.unref?.();
}
