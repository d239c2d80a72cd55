import { CappedMap } from '../collections/capped-map.js';

/** One attempt's place in a window: held while the attempt runs, kept if it fails. */
export interface AttemptSlot {
  readonly at: number;
  failed: boolean;
}

/**
 * How long to wait when the slots that fill a window are held by attempts still running: they
 * give their slots back or fail within moments, so the caller need not wait out the window.
 */
const RUNNING_ATTEMPTS_WAIT_MS = 1_000;

export interface AttemptWindowOptions {
  /** Slots a key may hold within `windowMs`. */
  limit: number;
  windowMs: number;
  /** Keys remembered at most (see CappedMap). */
  maxKeys: number;
  now: () => number;
}

/**
 * A sliding window of login attempts per key (an address, an account and address pair).
 * An attempt takes its slot before its secret is checked, so that parallel attempts cannot
 * all pass one check; a success gives the slot back, a failure keeps it until it leaves the
 * window. A key thus holds at most `limit` slots.
 */
export class AttemptWindow {
  private readonly slots: CappedMap<string, AttemptSlot[]>;

  constructor(private readonly options: AttemptWindowOptions) {
    this.slots = new CappedMap(options.maxKeys, (slots) => slots.every((slot) => this.expired(slot)));
  }

  /** Milliseconds until `key` may have a free slot: 0 when it has one now. */
  waitMs(key: string): number {
    const live = this.live(key);
    if (live.length < this.options.limit) return 0;
    const failed = live.filter((slot) => slot.failed);
    const oldestCounted = failed[failed.length - this.options.limit];
    if (oldestCounted === undefined) return RUNNING_ATTEMPTS_WAIT_MS;
    return Math.max(1, oldestCounted.at + this.options.windowMs - this.options.now());
  }

  /** Whether `key` holds no slot: no attempt failed within the window, none is running. */
  isIdle(key: string): boolean {
    return this.live(key).length === 0;
  }

  /** Takes a slot; the caller has checked `waitMs` first. */
  reserve(key: string): AttemptSlot {
    const slot: AttemptSlot = { at: this.options.now(), failed: false };
    const live = this.live(key);
    live.push(slot);
    this.slots.set(key, live);
    return slot;
  }

  /** Gives a slot back (its attempt succeeded or never ran). */
  release(key: string, slot: AttemptSlot): void {
    const live = this.slots.get(key);
    const index = live?.indexOf(slot) ?? -1;
    if (!live || index < 0) return;
    live.splice(index, 1);
    if (live.length === 0) this.slots.delete(key);
  }

  private live(key: string): AttemptSlot[] {
    const slots = this.slots.get(key);
    if (!slots) return [];
    const live = slots.filter((slot) => !this.expired(slot));
    if (live.length === 0) this.slots.delete(key);
    else if (live.length < slots.length) this.slots.set(key, live);
    return live;
  }

  private expired(slot: AttemptSlot): boolean {
    return slot.at <= this.options.now() - this.options.windowMs;
  }
}
