import type { TopicItem } from '../subscriptions/items.js';

/**
 * A bounded FIFO of topic items with tick conflation: a tick waiting to be read is replaced by a
 * newer tick of the same topic (symbol), in its place, so that a slow dashboard gets the latest
 * quote rather than a backlog. Every other item keeps its place and is never dropped: when one
 * does not fit, `push` says so and the caller decides.
 */
export class ItemBuffer<I extends TopicItem> {
  private items: Array<I | undefined> = [];
  private head = 0;
  /** Absolute index (array index + `compacted`) of the waiting tick of each ticks topic. */
  private readonly waitingTicks = new Map<string, number>();
  /** Array slots dropped by compaction so far, so that absolute indexes stay valid. */
  private compacted = 0;

  constructor(readonly capacity: number, private readonly conflateTicks: boolean) {}

  get size(): number {
    return this.items.length - this.head;
  }

  /** Adds an item; false when it did not fit (nothing was changed then). `force` ignores the capacity. */
  push(item: I, force = false): boolean {
    if (this.conflateTicks && item.kind === 'event' && item.event.type === 'tick') {
      const waiting = this.waitingTicks.get(item.topic);
      if (waiting !== undefined) {
        this.items[waiting - this.compacted] = item;
        return true;
      }
      if (!force && this.size >= this.capacity) return false;
      this.waitingTicks.set(item.topic, this.compacted + this.items.length);
      this.items.push(item);
      return true;
    }
    if (!force && this.size >= this.capacity) return false;
    // A tick after a reset or snapshot must come after it, not replace a tick from before it.
    if (item.kind !== 'event') this.waitingTicks.delete(item.topic);
    this.items.push(item);
    return true;
  }

  shift(): I | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head] as I;
    this.items[this.head] = undefined;
    if (item.kind === 'event' && this.waitingTicks.get(item.topic) === this.compacted + this.head) this.waitingTicks.delete(item.topic);
    this.head++;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.compacted += this.head;
      this.head = 0;
    }
    return item;
  }

  clear(): void {
    this.compacted += this.items.length;
    this.items = [];
    this.head = 0;
    this.waitingTicks.clear();
  }
}
