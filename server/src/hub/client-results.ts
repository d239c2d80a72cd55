import { HubError } from './hub-error.js';

interface PendingResult {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Server-to-client invocations awaiting the client's Completion (client results, ASP.NET's
 * `ISingleClientProxy.InvokeAsync`). Ids are the server's own, in a namespace the official
 * clients never use for their streams.
 */
export class ClientResults {
  private next = 0;
  // Created on first use: most connections never need it.
  private pendingLazy: Map<string, PendingResult> | undefined;
  private get pending(): Map<string, PendingResult> {
    return (this.pendingLazy ??= new Map());
  }

  constructor(private readonly timeoutMs: number) {}

  /** Registers a call of `method`; send an Invocation with the returned id, then await `result`. */
  start(method: string): { invocationId: string; result: Promise<unknown> } {
    const invocationId = `s${++this.next}`;
    const result = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(invocationId);
        reject(new Error(`The client did not answer '${method}' within ${this.timeoutMs} ms.`));
      }, this.timeoutMs);
      this.pending.set(invocationId, { resolve, reject, timer });
    });
    return { invocationId, result };
  }

  /** Settles a pending call with the client's Completion; false when the id is not one of ours. */
  complete(invocationId: string, result: unknown, error: string | undefined): boolean {
    const pending = this.pending.get(invocationId);
    if (!pending) return false;
    this.pending.delete(invocationId);
    clearTimeout(pending.timer);
    // The client's error text is meant to reach whoever asked: a HubError carries it through.
    if (error !== undefined) pending.reject(new HubError(error));
    else pending.resolve(result);
    return true;
  }

  /** @param reason made only when a call is waiting: most connections close with none, and an Error's stack costs. */
  failAll(reason: () => Error): void {
    if (!this.pendingLazy || this.pendingLazy.size === 0) return;
    const error = reason();
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
  }
}
