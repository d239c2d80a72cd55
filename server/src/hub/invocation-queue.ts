/**
 * Runs one client's hub method calls with bounded parallelism, in arrival order, and bounds
 * how many may wait, so that a flooding client cannot grow server memory without limit.
 */
export class InvocationQueue {
  private running = 0;
  // Created on first use: most connections never need it.
  private waitingLazy: Array<() => Promise<void>> | undefined;
  private get waiting(): Array<() => Promise<void>> {
    return (this.waitingLazy ??= []);
  }
  // Created on first use: most connections never need it.
  private idleListenersLazy: Array<() => void> | undefined;
  private get idleListeners(): Array<() => void> {
    return (this.idleListenersLazy ??= []);
  }

  constructor(
    private readonly maxParallel: number,
    private readonly maxWaiting: number,
    /** Told each time a call ended, so that a connection paused on a full queue can read on. */
    private readonly onCallEnded: () => void = () => undefined,
  ) {}

  /** Whether one more call would be refused: the connection should stop reading until one ends. */
  get isFull(): boolean {
    return this.waiting.length >= this.maxWaiting;
  }

  /** Returns false when the queue is full and the call was not accepted. */
  enqueue(task: () => Promise<void>): boolean {
    if (this.running < this.maxParallel) {
      this.start(task);
      return true;
    }
    if (this.waiting.length >= this.maxWaiting) return false;
    this.waiting.push(task);
    return true;
  }

  clear(): void {
    this.waiting.length = 0;
  }

  /** Resolves once no call runs or waits. */
  idle(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleListeners.push(resolve));
  }

  private start(task: () => Promise<void>): void {
    this.running++;
    void task().finally(() => {
      this.running--;
      const next = this.waiting.shift();
      if (next) this.start(next);
      else if (this.running === 0) for (const listener of this.idleListeners.splice(0)) listener();
      this.onCallEnded();
    });
  }
}
