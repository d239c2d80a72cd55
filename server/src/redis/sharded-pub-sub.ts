import type { RedisClusterType } from 'redis';
import type { ChannelListener, RedisPubSub } from './redis-pub-sub.js';

/**
 * Sharded pub/sub on a Redis Cluster (Redis 7): SPUBLISH goes to the shard that owns the
 * channel's hash slot and reaches only the nodes that SSUBSCRIBEd there, so that adding shards
 * adds pub/sub capacity (classic PUBLISH on a cluster copies every message to every shard).
 * The cluster client keeps a subscriber connection per shard that has subscribed channels, and
 * moves them when a slot moves (`sunsubscribe` on migration, `MOVED`) or a replica takes over.
 */
export class ShardedPubSub implements RedisPubSub {
  readonly publishCommand = 'SPUBLISH';
  readonly patterns = false;
  private readonly resubscribedListeners: Array<() => void> = [];
  /** Nodes whose connections failed since the last repair: their next 'ready' means subscriptions came back. */
  private readonly nodesDown = new Set<string>();
  /** Which master served each slot when last looked: a change means channels moved. */
  private layout: string;

  constructor(private readonly cluster: RedisClusterType) {
    // A node that comes back (a restart, a network cut) gets its subscriptions again, but what
    // was published meanwhile was not heard. (A replica taking over shows as a new layout.)
    cluster.on('node-error', (_error: unknown, node: { host: string; port: number }) => {
      this.nodesDown.add(`${node.host}:${node.port}`);
    });
    cluster.on('node-ready', (node: { host: string; port: number }) => {
      if (this.nodesDown.delete(`${node.host}:${node.port}`)) this.resubscribed();
    });
    this.layout = this.slotLayout();
  }

  /**
   * Called about every second (by the health probe): when a slot moved to another master (a
   * migration, a failover), the client moved its subscriptions of that slot, and what was
   * published between the old shard's `sunsubscribe` and the new subscription was not heard.
   * The client tells of no successful move, hence the comparison of layouts.
   */
  noticeMovedSlots(): void {
    const layout = this.slotLayout();
    if (layout === this.layout) return;
    this.layout = layout;
    // Nodes that failed and are gone from the layout (a dead master) will not come back.
    this.nodesDown.clear();
    this.resubscribed();
  }

  get ready(): boolean {
    return this.cluster.isReady;
  }

  publish(channel: string, message: string | Buffer): Promise<unknown> {
    return this.cluster.sPublish(channel, message);
  }

  subscribe<T extends boolean = false>(channels: string | string[], listener: ChannelListener<T>, bufferMode?: T): Promise<void> {
    return eachChannel(channels, (channel) => this.cluster.sSubscribe(channel, listener, bufferMode));
  }

  unsubscribe<T extends boolean = false>(channels: string | string[], listener?: ChannelListener<T>, bufferMode?: T): Promise<void> {
    return eachChannel(channels, (channel) => this.cluster.sUnsubscribe(channel, listener, bufferMode));
  }

  pSubscribe(): Promise<void> {
    return Promise.reject(new Error('A Redis Cluster has no pattern subscriptions on sharded channels.'));
  }

  pUnsubscribe(): Promise<void> {
    return this.pSubscribe();
  }

  onResubscribed(listener: () => void): void {
    this.resubscribedListeners.push(listener);
  }

  private resubscribed(): void {
    for (const listener of this.resubscribedListeners) listener();
  }

  /** The master of every slot, as ranges: `from-to@host:port` each. */
  private slotLayout(): string {
    const ranges: string[] = [];
    let start = 0;
    const slots = this.cluster.slots;
    for (let slot = 1; slot <= slots.length; slot++) {
      if (slot < slots.length && slots[slot]?.master.address === slots[start]?.master.address) continue;
      ranges.push(`${start}-${slot - 1}@${slots[start]?.master.address ?? '?'}`);
      start = slot;
    }
    return ranges.join(',');
  }
}

/** The cluster client sends a command with several channels to the shard of the first: channels of other slots go one by one. */
async function eachChannel(channels: string | string[], command: (channel: string) => Promise<void>): Promise<void> {
  await Promise.all((Array.isArray(channels) ? channels : [channels]).map(command));
}
