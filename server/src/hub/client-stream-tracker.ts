import type { ZodType } from 'zod';
import { ClientStreamChannel, ClientStreamError, type PushResult } from './client-stream.js';

/**
 * The client-to-server streams open on one connection, by stream id (ASP.NET's StreamTracker):
 * StreamItem and Completion messages find their stream here.
 */
export class ClientStreamTracker {
  private readonly streams = new Map<string, ClientStreamChannel<unknown>>();

  /** @param capacity items one stream may hold unread */
  constructor(readonly capacity: number) {}

  get size(): number {
    return this.streams.size;
  }

  has(streamId: string): boolean {
    return this.streams.has(streamId);
  }

  /** Opens one stream per id, each checking its items against the schema at the same position. */
  open(streamIds: readonly string[], schemas: readonly ZodType[]): Array<ClientStreamChannel<unknown>> {
    return streamIds.map((streamId, index) => {
      const channel = new ClientStreamChannel<unknown>(streamId, schemas[index] as ZodType, this.capacity);
      this.streams.set(streamId, channel);
      return channel;
    });
  }

  /** 'ignored' for ids of no open stream: the official server ignores those too. */
  push(streamId: string, item: unknown): PushResult {
    return this.streams.get(streamId)?.push(item) ?? 'ignored';
  }

  /** Ends a stream as the client's Completion says; false when no such stream is open. */
  complete(streamId: string, error: string | undefined): boolean {
    const channel = this.streams.get(streamId);
    if (!channel) return false;
    channel.end(error === undefined ? undefined : new ClientStreamError(error));
    this.streams.delete(streamId);
    return true;
  }

  /** Forgets the streams of an invocation that has finished; items still arriving for them are ignored. */
  close(channels: ReadonlyArray<ClientStreamChannel<unknown>>): void {
    for (const channel of channels) {
      channel.end();
      // By identity: the client may already have completed it and opened another under the same id.
      if (this.streams.get(channel.streamId) === channel) this.streams.delete(channel.streamId);
    }
  }

  /** The connection ended: every method still reading a stream sees this error. */
  failAll(error: Error): void {
    for (const channel of this.streams.values()) channel.end(error);
    this.streams.clear();
  }
}
