import { EventEmitter } from 'node:events';
import type { RedisClientType } from 'redis';
import type { RedisGuard } from '../redis/redis-guard.js';

/**
 * Tells every node that a token (JWT id or terminal token id) lost its access, so that each
 * closes its own connections that use it.
 */
export interface RevocationBus {
  publish(tokenId: string): Promise<void>;
  onRevoked(listener: (tokenId: string) => void): void;
  close(): Promise<void>;
}

export class LocalRevocationBus implements RevocationBus {
  private readonly events = new EventEmitter();

  async publish(tokenId: string): Promise<void> {
    this.events.emit('revoked', tokenId);
  }

  onRevoked(listener: (tokenId: string) => void): void {
    this.events.on('revoked', listener);
  }

  async close(): Promise<void> {
    this.events.removeAllListeners();
  }
}

/** Revocations over a Redis pub/sub channel, `{prefix}:revocations`. */
export class RedisRevocationBus implements RevocationBus {
  private readonly local = new LocalRevocationBus();
  private readonly channel: string;

  private constructor(
    private readonly publisher: RedisClientType,
    private readonly subscriber: RedisClientType,
    private readonly guard: RedisGuard,
    prefix: string,
  ) {
    this.channel = `${prefix}:revocations`;
  }

  /** `subscriber` must be a connection of its own: Redis reserves subscribed connections for pub/sub. */
  static async start(publisher: RedisClientType, subscriber: RedisClientType, guard: RedisGuard, prefix: string): Promise<RedisRevocationBus> {
    const bus = new RedisRevocationBus(publisher, subscriber, guard, prefix);
    await guard.run(() => subscriber.subscribe(bus.channel, (tokenId) => void bus.local.publish(tokenId)));
    return bus;
  }

  async publish(tokenId: string): Promise<void> {
    await this.guard.run(() => this.publisher.publish(this.channel, tokenId));
  }

  onRevoked(listener: (tokenId: string) => void): void {
    this.local.onRevoked(listener);
  }

  async close(): Promise<void> {
    await this.guard.run(() => this.subscriber.unsubscribe(this.channel)).catch(() => undefined);
    await this.local.close();
  }
}
