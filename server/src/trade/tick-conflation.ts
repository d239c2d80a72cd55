import { MIN_TICK_RATE_PER_SECOND, type TradeEnvelope } from '@tradehub/shared';

/**
 * Bytes waiting for a connection above which its ticks wait too, by default: a quarter of the
 * default outbound budget, and four coalesced frames (the writer queues at most 64 KiB before it writes a frame): an honest
 * client that receives a burst within one event-loop turn is never taken for a slow one.
 */
export const DEFAULT_TICK_CONFLATION_BYTES = 256 * 1024;
/** How often held ticks are offered again to connections that have some. */
const DEFAULT_FLUSH_INTERVAL_MS = 25;

/** What conflation reads of a connection. */
export interface BufferedSink {
  /** Bytes queued for the client, not yet written to its socket; undefined: not known. */
  readonly bufferedBytes?: number | undefined;
  /** Bytes a stateful-reconnect client has not acknowledged yet; undefined without stateful reconnect. */
  readonly unacknowledgedBytes?: number | undefined;
}

export interface TickConflationOptions {
  /** Above this many waiting bytes, a connection's ticks wait too, only the latest per topic; undefined: never. */
  readonly thresholdBytes: number | undefined;
  /**
   * The same for the bytes a stateful-reconnect client has not acknowledged: it acknowledges about
   * once a second, and is disconnected past its stateful buffer, so this is set to part of that
   * buffer (about a second's traffic of an honest client stays below it). Undefined: not judged.
   */
  readonly unacknowledgedThresholdBytes?: number | undefined;
  readonly flushIntervalMs?: number;
  /** Told of every tick dropped because a newer one of its topic replaced it before it could be written. */
  readonly onConflated?: () => void;
  /** The clock that rate limits read (tests inject one). */
  readonly now?: () => number;
}

/**
 * Keeps a congested connection from queueing every tick: while more than `thresholdBytes` wait
 * to be sent to it, a tick is held instead of written, one per topic, a newer one replacing it.
 * A briefly slow client so falls behind on ticks (each topic's latest still reaches it) instead
 * of being disconnected; every other event is written as always, and counts toward the outbound
 * budget that disconnects a client that does not read.
 *
 * The same holding serves a subscription's `maxRatePerSecond`: a tick of a rate-limited topic
 * that comes sooner than the rate allows is held until it is due, a newer one replacing it, so
 * that the newest is always delivered last (within a flush interval of being due).
 *
 * One per node: a single timer offers held ticks again, only while some connection holds any.
 */
export class TickConflation {
  private readonly holding = new Set<TickGate>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly flushIntervalMs: number;
  readonly now: () => number;

  constructor(private readonly options: TickConflationOptions) {
    this.flushIntervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    this.now = options.now ?? Date.now;
  }

  /** Bytes waiting above which ticks wait; undefined: conflation is off. */
  get thresholdBytes(): number | undefined {
    return this.options.thresholdBytes;
  }

  /** Connections holding ticks now. */
  get holdingConnections(): number {
    return this.holding.size;
  }

  /** The gate of one connection: `write` sends a tick to it. */
  gate(sink: BufferedSink, write: (tick: TradeEnvelope) => void): TickGate {
    return new TickGate(this, sink, write);
  }

  /** Offers held ticks to every connection holding some (what the timer runs). */
  flush(): void {
    for (const gate of this.holding) gate.drain();
  }

  /** Stops the timer and forgets what is held (the node is closing). */
  close(): void {
    for (const gate of this.holding) gate.forget();
  }

  /** @internal */
  congested(sink: BufferedSink): boolean {
    const threshold = this.options.thresholdBytes;
    if (threshold === undefined) return false;
    const buffered = sink.bufferedBytes;
    if (buffered !== undefined && buffered > threshold) return true;
    const unacknowledgedThreshold = this.options.unacknowledgedThresholdBytes;
    const unacknowledged = sink.unacknowledgedBytes;
    return unacknowledgedThreshold !== undefined && unacknowledged !== undefined && unacknowledged > unacknowledgedThreshold;
  }

  /** @internal */
  conflated(): void {
    this.options.onConflated?.();
  }

  /** @internal */
  holds(gate: TickGate): void {
    this.holding.add(gate);
    if (this.timer) return;
    this.timer = setInterval(() => this.flush(), this.flushIntervalMs);
    this.timer.unref();
  }

  /** @internal */
  released(gate: TickGate): void {
    this.holding.delete(gate);
    if (this.holding.size > 0 || !this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** A tick waiting to be written: its topic's latest, and from when it may go (0: as soon as the connection keeps up). */
interface HeldTick {
  tick: TradeEnvelope;
  notBefore: number;
  /** The topic's least time between two ticks (its `maxRatePerSecond`), if it has one. */
  minIntervalMs: number | undefined;
}

/** Longest time between two ticks of a rate-limited topic (`MIN_TICK_RATE_PER_SECOND`). */
const LONGEST_INTERVAL_MS = 1000 / MIN_TICK_RATE_PER_SECOND;
/** Write times kept before the ones too old to matter are first swept. */
const WRITE_TIMES_SWEEP_SIZE = 256;

/**
 * One connection's ticks on their way: written at once while the connection keeps up and the
 * topic's rate allows, else held as the latest of their topic. A held tick is always written
 * before a later one of its topic, so that each topic stays in seq order (with gaps, for ticks
 * that were replaced).
 */
export class TickGate {
  /** Latest tick per topic, in the order the topics first waited (the oldest wait goes first). */
  private held: Map<string, HeldTick> | undefined;
  /** When a tick of each rate-limited topic was last written. */
  private readonly writtenAt = new Map<string, number>();
  /** Size of `writtenAt` at which it is swept next: twice what a sweep left, so that sweeps stay rare. */
  private sweepAt = WRITE_TIMES_SWEEP_SIZE;

  constructor(private readonly node: TickConflation, private readonly sink: BufferedSink, private readonly write: (tick: TradeEnvelope) => void) {}

  /** Ticks waiting now (one per topic at most). */
  get heldCount(): number {
    return this.held?.size ?? 0;
  }

  /**
   * The next tick of its topic, in seq order: written, or held while the connection is congested
   * or, with `minIntervalMs`, until that long after the topic's last written tick.
   */
  offer(tick: TradeEnvelope, minIntervalMs?: number): void {
    const now = this.node.now();
    // The next write opportunity: what waits goes first, so that nothing overtakes it.
    if (this.held) this.drain(now);
    const waiting = this.held?.get(tick.topic);
    if (waiting) {
      // Keeps its place and due time: the newest quote goes when the older one would have.
      this.node.conflated();
      waiting.tick = tick;
      waiting.minIntervalMs = minIntervalMs;
      return;
    }
    const due = minIntervalMs === undefined ? 0 : (this.writtenAt.get(tick.topic) ?? -Infinity) + minIntervalMs;
    if (due > now || this.node.congested(this.sink)) this.hold({ tick, notBefore: due, minIntervalMs });
    else this.writeTick(tick, minIntervalMs, now);
  }

  /**
   * Writes held ticks that are due, oldest wait first, while the connection is not congested.
   * Returns whether none is held any more.
   */
  drain(now = this.node.now()): boolean {
    const held = this.held;
    if (held) {
      for (const [topic, waiting] of held) {
        if (waiting.notBefore > now) continue;
        if (this.node.congested(this.sink)) return false;
        held.delete(topic);
        this.writeTick(waiting.tick, waiting.minIntervalMs, now);
      }
      if (held.size > 0) return false;
    }
    this.release();
    return true;
  }

  /**
   * Something else is about to be written about these topics (a Subscribe answer, a resync
   * notice): what is held of them goes first, congested, rate-limited or not, so that their order
   * holds. One tick per topic at most.
   */
  writeHeld(matches: (topic: string) => boolean): void {
    const held = this.held;
    if (!held) return;
    const now = this.node.now();
    for (const [topic, waiting] of held) {
      if (!matches(topic)) continue;
      held.delete(topic);
      this.writeTick(waiting.tick, waiting.minIntervalMs, now);
    }
    if (held.size === 0) this.release();
  }

  /** The connection is gone: nothing it held will be written. */
  forget(): void {
    this.release();
    this.writtenAt.clear();
  }

  private writeTick(tick: TradeEnvelope, minIntervalMs: number | undefined, now: number): void {
    if (minIntervalMs !== undefined) {
      if (this.writtenAt.size >= this.sweepAt) this.sweepWriteTimes(now);
      this.writtenAt.set(tick.topic, now);
    }
    this.write(tick);
  }

  /** Forgets write times too old to hold back any tick: the map stays as small as the topics ticking now. */
  private sweepWriteTimes(now: number): void {
    for (const [topic, at] of this.writtenAt) if (now - at >= LONGEST_INTERVAL_MS) this.writtenAt.delete(topic);
    this.sweepAt = Math.max(WRITE_TIMES_SWEEP_SIZE, this.writtenAt.size * 2);
  }

  private hold(waiting: HeldTick): void {
    if (!this.held) {
      this.held = new Map();
      this.node.holds(this);
    }
    this.held.set(waiting.tick.topic, waiting);
  }

  private release(): void {
    if (!this.held) return;
    this.held = undefined;
    this.node.released(this);
  }
}
