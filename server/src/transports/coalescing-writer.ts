/** Writes one frame: its bytes are one or more whole messages of the same kind (text or binary). */
export type FrameSink = (frame: Uint8Array, text: boolean) => void;

/** Runs a writer's flush later, after the messages of the current turn have been queued. */
export type FlushScheduler = (writer: CoalescingWriter) => void;

/**
 * Queues a connection's outgoing messages and writes them as few frames as possible: one frame
 * (one socket write) for everything queued in the same turn, up to `maxFrameBytes`.
 *
 * Why: writing to a socket costs a system call whatever the size, so one write per message per
 * recipient is what limits a broadcast. The SignalR framing lets a frame carry several messages
 * (JSON records end with 0x1e, MessagePack messages carry their length), and the clients parse
 * every message in a frame. Text and binary messages never share a frame (a WebSocket frame is
 * one or the other), and order is kept: a message of the other kind flushes what is queued first.
 * Messages stay whole: a message larger than the bound is a frame of its own.
 */
export class CoalescingWriter {
  // Created on first use: most connections are idle most of the time.
  private queue: Uint8Array[] | undefined;
  private queuedBytes = 0;
  private queuedText = false;
  /** Frames ended by `endFrame` and not yet written: they leave with the next flush. */
  private ended: Array<{ frame: Uint8Array; text: boolean }> | undefined;
  private endedBytes = 0;
  private scheduled = false;

  /**
   * @param writeTogether runs a flush that writes several frames, so that the transport can hand
   *   them to the kernel in one socket write (a corked socket); absent: frame by frame.
   */
  constructor(
    private readonly sink: FrameSink,
    private readonly schedule: FlushScheduler,
    private readonly maxFrameBytes: number,
    private readonly writeTogether: (write: () => void) => void = (write) => write(),
  ) {}

  /** Bytes queued and not yet handed to the sink. */
  get bufferedBytes(): number {
    return this.queuedBytes + this.endedBytes;
  }

  write(message: Uint8Array, text: boolean): void {
    if (message.length === 0) return;
    if (this.queuedBytes > 0 && (text !== this.queuedText || this.queuedBytes + message.length > this.maxFrameBytes)) {
      this.flush();
    }
    (this.queue ??= []).push(message);
    this.queuedBytes += message.length;
    this.queuedText = text;
    this.scheduleFlush();
  }

  /**
   * Ends the frame being queued: what comes next starts a frame of its own. Both leave at the
   * next flush, in one socket write where the transport can (a handshake answer in a frame of
   * its own, and the hub's first messages, cost one system call instead of two).
   */
  endFrame(): void {
    if (this.queuedBytes === 0) return;
    const text = this.queuedText;
    const frame = this.takeFrame();
    (this.ended ??= []).push({ frame, text });
    this.endedBytes += frame.length;
  }

  /** Called by the scheduler. */
  scheduledFlush(): void {
    this.scheduled = false;
    this.flush();
  }

  /** Writes everything queued now: the frames `endFrame` ended, then the rest as one frame. */
  flush(): void {
    const ended = this.ended;
    if (!ended) {
      if (this.queuedBytes > 0) this.sink(this.takeFrame(), this.queuedText);
      return;
    }
    this.ended = undefined;
    this.endedBytes = 0;
    const last = this.queuedBytes > 0 ? { frame: this.takeFrame(), text: this.queuedText } : undefined;
    this.writeTogether(() => {
      for (const { frame, text } of ended) this.sink(frame, text);
      if (last) this.sink(last.frame, last.text);
    });
  }

  /** Forgets what is queued (the transport is gone). */
  discard(): void {
    this.queue = undefined;
    this.queuedBytes = 0;
    this.ended = undefined;
    this.endedBytes = 0;
  }

  /** The queued messages as one frame; the queue is empty after. */
  private takeFrame(): Uint8Array {
    const queue = this.queue as Uint8Array[];
    const frame = queue.length === 1 ? queue[0] as Uint8Array : Buffer.concat(queue, this.queuedBytes);
    this.queue = undefined;
    this.queuedBytes = 0;
    return frame;
  }

  private scheduleFlush(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(this);
  }
}

export interface FlushSchedulerOptions {
  /** Runs the flush after this turn's I/O callbacks (`setImmediate`). */
  defer?: (run: () => void) => void;
  /** Runs the flush after a pause (`setTimeout`). */
  after?: (run: () => void, ms: number) => void;
  now?: () => number;
  /** Longest pause before a flush under load. */
  maxPauseMs?: number;
  /** Frames a flush must have written to count as one that a pause should amortise. */
  busyFrames?: number;
}

/**
 * Default of the longest pause a flush under load waits for more messages: none. The pause was
 * made for two-node rows that swung between few and many messages per frame; their causes were
 * elsewhere (a publisher's calls waiting one at a time on Redis, a Redis moving between cores),
 * and once those were fixed, 0 measured as fast or faster in every saturation row tried (two
 * nodes, trade JSON, 1k subscribers: 330k-418k deliveries/s against 209k-247k with 10 ms) and
 * lower in latency (p99 at 1k subscribers and 50k deliveries/s: 27-31 ms against 43-95 ms).
 */
export const DEFAULT_FLUSH_PAUSE_MS = 0;
/** A flush that wrote fewer frames than this is cheap: the next one never waits. */
const BUSY_FLUSH_FRAMES = 64;

/**
 * Flushes every writer that has something queued once per event-loop turn, with a single
 * `setImmediate` for all of them: after the I/O callbacks of this turn (every message a
 * broadcast or a batch of Redis messages produced) and before the next reads.
 *
 * Under load it can wait a little longer (`maxPauseMs`, off by default). A flush that writes to
 * many connections costs a system call per connection whatever each carries, so the number of
 * flushes, not of messages, bounds a broadcast. With a pause, when messages come again right after
 * a big flush (one that wrote `busyFrames` frames or more), the next flush waits until as long as
 * the previous one took has passed since it ended (at most `maxPauseMs`): at most about half of
 * the time goes to flushing, and each flush carries what came meanwhile, for up to `maxPauseMs`
 * more latency. Messages that come after a pause at least that long go out at the next turn.
 */
export function batchedFlushScheduler(options: FlushSchedulerOptions | ((run: () => void) => void) = {}): FlushScheduler {
  const settings = typeof options === 'function' ? { defer: options } : options;
  const defer = settings.defer ?? setImmediate;
  const after = settings.after ?? ((run: () => void, ms: number): void => void setTimeout(run, ms));
  const now = settings.now ?? (() => performance.now());
  const busyFrames = settings.busyFrames ?? BUSY_FLUSH_FRAMES;
  let pending: CoalescingWriter[] = [];
  let lastEnded = Number.NEGATIVE_INFINITY;
  let lastDuration = 0;
  let lastFrames = 0;
  const flushAll = (): void => {
    const startedAt = now();
    const writers = pending;
    pending = [];
    for (const writer of writers) writer.scheduledFlush();
    lastEnded = now();
    lastDuration = lastEnded - startedAt;
    lastFrames = writers.length;
  };
  return (writer) => {
    pending.push(writer);
    if (pending.length > 1) return;
    const sinceLast = now() - lastEnded;
    // Read at each use: the process's socket scheduler takes the configuration's value after it was made.
    const maxPauseMs = settings.maxPauseMs ?? DEFAULT_FLUSH_PAUSE_MS;
    const pauseMs = lastFrames >= busyFrames ? Math.min(maxPauseMs, lastDuration) - sinceLast : 0;
    if (pauseMs >= 1) after(flushAll, Math.round(pauseMs));
    else defer(flushAll);
  };
}

const socketFlushOptions: FlushSchedulerOptions = {};

/** The process's scheduler for socket writes. */
export const socketFlushScheduler: FlushScheduler = batchedFlushScheduler(socketFlushOptions);

/** Sets how long the process's flushes to many connections may wait for more messages under load (`limits.flushPauseMaxMs`). */
export function setSocketFlushPause(maxPauseMs: number): void {
  socketFlushOptions.maxPauseMs = maxPauseMs;
}

/** How long the process's flushes may wait under load now. */
export function socketFlushPause(): number {
  return socketFlushOptions.maxPauseMs ?? DEFAULT_FLUSH_PAUSE_MS;
}

/** A WebSocket frame carries at most this many bytes of coalesced messages (a single larger message is sent whole). */
export const MAX_COALESCED_FRAME_BYTES = 64 * 1024;
