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
  private scheduled = false;

  constructor(
    private readonly sink: FrameSink,
    private readonly schedule: FlushScheduler,
    private readonly maxFrameBytes: number,
  ) {}

  /** Bytes queued and not yet handed to the sink. */
  get bufferedBytes(): number {
    return this.queuedBytes;
  }

  write(message: Uint8Array, text: boolean): void {
    if (message.length === 0) return;
    if (this.queuedBytes > 0 && (text !== this.queuedText || this.queuedBytes + message.length > this.maxFrameBytes)) {
      this.flush();
    }
    (this.queue ??= []).push(message);
    this.queuedBytes += message.length;
    this.queuedText = text;
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(this);
    }
  }

  /** Called by the scheduler. */
  scheduledFlush(): void {
    this.scheduled = false;
    this.flush();
  }

  /** Writes everything queued now, as one frame. */
  flush(): void {
    const queue = this.queue;
    if (!queue || queue.length === 0) return;
    const frame = queue.length === 1 ? queue[0] as Uint8Array : Buffer.concat(queue, this.queuedBytes);
    this.queue = undefined;
    this.queuedBytes = 0;
    this.sink(frame, this.queuedText);
  }

  /** Forgets what is queued (the transport is gone). */
  discard(): void {
    this.queue = undefined;
    this.queuedBytes = 0;
  }
}

/**
 * Flushes every writer that has something queued once per event-loop turn, with a single
 * `setImmediate` for all of them: after the I/O callbacks of this turn (every message a
 * broadcast or a batch of Redis messages produced) and before the next reads.
 */
export function batchedFlushScheduler(defer: (run: () => void) => void = setImmediate): FlushScheduler {
  let pending: CoalescingWriter[] = [];
  const flushAll = (): void => {
    const writers = pending;
    pending = [];
    for (const writer of writers) writer.scheduledFlush();
  };
  return (writer) => {
    pending.push(writer);
    if (pending.length === 1) defer(flushAll);
  };
}

/** The process's scheduler for socket writes. */
export const socketFlushScheduler: FlushScheduler = batchedFlushScheduler();

/** A WebSocket frame carries at most this many bytes of coalesced messages (a single larger message is sent whole). */
export const MAX_COALESCED_FRAME_BYTES = 64 * 1024;
