/** Gets a channel's messages: text, or bytes in buffer mode. */
export type ChannelListener<BUFFERS extends boolean = false> = (message: BUFFERS extends true ? Buffer : string) => void;

/**
 * Channels between nodes: classic pub/sub on one Redis, sharded pub/sub (SPUBLISH / SSUBSCRIBE)
 * on a cluster, where a channel lives on the shard of its hash slot and only that shard carries
 * its messages. Callers do not know which: the composition point chooses.
 */
export interface RedisPubSub {
  /** What a Lua script calls to announce on a channel of its own slot: PUBLISH or SPUBLISH. */
  readonly publishCommand: 'PUBLISH' | 'SPUBLISH';
  /** Whether pattern subscriptions exist (classic pub/sub only: a shard cannot match patterns). */
  readonly patterns: boolean;
  /** Whether every connection of the subscriber side is up. */
  readonly ready: boolean;
  publish(channel: string, message: string | Buffer): Promise<unknown>;
  subscribe<T extends boolean = false>(channels: string | string[], listener: ChannelListener<T>, bufferMode?: T): Promise<void>;
  unsubscribe<T extends boolean = false>(channels: string | string[], listener?: ChannelListener<T>, bufferMode?: T): Promise<void>;
  /** Classic pub/sub only (see `patterns`). */
  pSubscribe(pattern: string, listener: ChannelListener<false>): Promise<void>;
  pUnsubscribe(pattern: string, listener?: ChannelListener<false>): Promise<void>;
  /**
   * Called once subscriptions are back after they may have missed messages (a reconnect, a
   * failover, a slot that moved), so that consumers repair gaps from history.
   */
  onResubscribed(listener: () => void): void;
}
