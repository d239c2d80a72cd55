/** The gate refused to queue a task, or dropped it from its queue for a more trusted one. */
export class HashQueueFullError extends Error {
  override readonly name = 'HashQueueFullError';
  constructor() {
    super('Too many secrets are waiting to be checked.');
  }
}

export interface HashGateOptions {
  /** Tasks running at once. */
  concurrency: number;
  /** Tasks waiting at most, all lanes together. */
  maxQueued: number;
  /** Lanes, numbered from 0 (served first). */
  lanes: number;
}

interface Waiter {
  start(): void;
  refuse(): void;
}

/**
 * Bounds the scrypt work that logins cause: a few hashes run at once, the others wait in lanes
 * served in order of trust. When the queue is full, a new task takes the place of the newest
 * task of a less trusted lane, or is refused at once: a flood of guesses is turned away
 * instead of delaying honest logins behind it.
 */
export class HashGate {
  private readonly lanes: Waiter[][];
  private running = 0;
  private waiting = 0;

  constructor(private readonly options: HashGateOptions) {
    if (!(options.concurrency >= 1) || !(options.maxQueued >= 0) || !(options.lanes >= 1)) {
      throw new RangeError('a hash gate needs concurrency >= 1, maxQueued >= 0 and lanes >= 1');
    }
    this.lanes = Array.from({ length: options.lanes }, () => []);
  }

  /** Tasks waiting for a slot. */
  get queued(): number {
    return this.waiting;
  }

  /** Runs `task` in `lane` once a slot is free; rejects with HashQueueFullError when it may not wait. */
  run<T>(lane: number, task: () => Promise<T>): Promise<T> {
    const queue = this.lanes[lane];
    if (!queue) return Promise.reject(new RangeError(`no lane ${lane}`));
    if (this.running < this.options.concurrency) return this.execute(task);
    return new Promise<T>((resolve, reject) => {
      if (this.waiting >= this.options.maxQueued && !this.dropLessTrustedThan(lane)) {
        reject(new HashQueueFullError());
        return;
      }
      queue.push({ start: () => this.execute(task).then(resolve, reject), refuse: () => reject(new HashQueueFullError()) });
      this.waiting++;
    });
  }

  private async execute<T>(task: () => Promise<T>): Promise<T> {
    this.running++;
    try {
      return await task();
    } finally {
      this.running--;
      this.startNext();
    }
  }

  private startNext(): void {
    const next = this.lanes.find((queue) => queue.length > 0)?.shift();
    if (!next) return;
    this.waiting--;
    next.start();
  }

  /** Refuses the newest waiter of the least trusted lane below `lane`; false when there is none. */
  private dropLessTrustedThan(lane: number): boolean {
    for (let index = this.lanes.length - 1; index > lane; index--) {
      const dropped = this.lanes[index]?.pop();
      if (dropped) {
        this.waiting--;
        dropped.refuse();
        return true;
      }
    }
    return false;
  }
}
