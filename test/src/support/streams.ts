import type { IStreamResult, ISubscription } from '@microsoft/signalr';

/**
 * Follows a stream of the official client: gathers its items and how it ended, and lets a test
 * wait for either.
 */
export class StreamReader<T> {
  readonly items: T[] = [];
  completed = false;
  error: Error | undefined;
  private readonly subscription: ISubscription<T>;
  private changed: (() => void) | undefined;

  constructor(stream: IStreamResult<T>) {
    this.subscription = stream.subscribe({
      next: (item) => {
        this.items.push(item);
        this.changed?.();
      },
      complete: () => {
        this.completed = true;
        this.changed?.();
      },
      error: (error) => {
        this.error = error;
        this.changed?.();
      },
    });
  }

  get ended(): boolean {
    return this.completed || this.error !== undefined;
  }

  /** Resolves once `count` items arrived; rejects if the stream ends first or after `timeoutMs`. */
  async waitForItems(count: number, timeoutMs = 5_000): Promise<T[]> {
    await this.waitFor(() => this.items.length >= count || this.ended, timeoutMs, `${count} items`);
    if (this.items.length < count) throw new Error(`stream ended after ${this.items.length} items: ${this.error?.message ?? 'completed'}`);
    return this.items.slice(0, count);
  }

  /** Resolves once the stream completed or failed. */
  async waitForEnd(timeoutMs = 5_000): Promise<this> {
    await this.waitFor(() => this.ended, timeoutMs, 'the end of the stream');
    return this;
  }

  /** Cancels the stream: the client sends CancelInvocation. */
  dispose(): void {
    this.subscription.dispose();
  }

  private async waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no ${what} within ${timeoutMs} ms (have ${this.items.length} items)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.changed = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.changed = undefined;
    }
  }
}

/** Every item of a stream once it completes; rejects with the error it ends with. */
export async function streamItems<T>(stream: IStreamResult<T>, timeoutMs = 5_000): Promise<T[]> {
  const reader = await new StreamReader(stream).waitForEnd(timeoutMs);
  if (reader.error) throw reader.error;
  return reader.items;
}
