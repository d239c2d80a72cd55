import type { ZodType } from 'zod';
import { ClientStreamChannel, ClientStreamError, type PushResult } from './client-stream.js';

/**
 * The client-to-server streams open on one connection, by stream id (ASP.NET's StreamTracker):
 * StreamItem and Completion messages find their stream here. While any open stream's buffer is
 * full, the tracker is `blocked`: the connection must not be read further, as ASP.NET's reading
 * loop waits on a full stream channel.
 */
export class ClientStreamTracker {
  // Created on first use: most connections never need it.
  private streamsLazy: Map<string, ClientStreamChannel<unknown>> | undefined;
  private get streams(): Map<string, ClientStreamChannel<unknown>> {
    return (this.streamsLazy ??= new Map());
  }
  private blockedNow = false;

  /**
   * @param capacity items one stream may hold unread
   * @param onBlockedChange told when reading must pause (true) and when it may go on (false)
   */
  constructor(readonly capacity: number, private readonly onBlockedChange: (blocked: boolean) => void = () => undefined) {}

  get size(): number {
    return this.streams.size;
  }

  /** Whether an open stream's buffer is full, so that the connection must not be read further. */
  get blocked(): boolean {
    return this.blockedNow;
  }

  has(streamId: string): boolean {
    return this.streams.has(streamId);
  }

  /** Opens one stream per id, each checking its items against the schema at the same position. */
  open(streamIds: readonly string[], schemas: readonly ZodType[]): Array<ClientStreamChannel<unknown>> {
    return streamIds.map((streamId, index) => {
      const channel = new ClientStreamChannel<unknown>(streamId, schemas[index] as ZodType, this.capacity, () => this.recheck());
      this.streams.set(streamId, channel);
      return channel;
    });
  }

  /** 'ignored' for ids of no open stream: the official server ignores those too. */
  push(streamId: string, item: unknown): PushResult {
    const result = this.streams.get(streamId)?.push(item) ?? 'ignored';
    if (result === 'full') this.setBlocked(true);
    return result;
  }

  /** Ends a stream as the client's Completion says; false when no such stream is open. */
  complete(streamId: string, error: string | undefined): boolean {
    const channel = this.streams.get(streamId);
    if (!channel) return false;
    channel.end(error === undefined ? undefined : new ClientStreamError(error));
    this.streams.delete(streamId);
    // No more items come for it: even full, it no longer holds up the connection.
    this.recheck();
    return true;
  }

  /** Forgets the streams of an invocation that has finished, and frees what it left unread; later items are ignored. */
  close(channels: ReadonlyArray<ClientStreamChannel<unknown>>): void {
    for (const channel of channels) {
      channel.dispose();
      // By identity: the client may already have completed it and opened another under the same id.
      if (this.streams.get(channel.streamId) === channel) this.streams.delete(channel.streamId);
    }
    this.recheck();
  }

  /**
   * The connection ended: every method still reading a stream sees this error.
   * @param reason made only when a stream is open: most connections close with none, and an Error's stack costs.
   */
  failAll(reason: () => Error): void {
    if (!this.streamsLazy || this.streamsLazy.size === 0) return;
    const error = reason();
    for (const channel of this.streams.values()) channel.end(error);
    this.streams.clear();
    this.recheck();
  }

  private recheck(): void {
    if (!this.blockedNow) return;
    for (const channel of this.streams.values()) if (channel.isFull) return;
    this.setBlocked(false);
  }

  private setBlocked(blocked: boolean): void {
    if (this.blockedNow === blocked) return;
    this.blockedNow = blocked;
    this.onBlockedChange(blocked);
  }
}
