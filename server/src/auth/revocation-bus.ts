import { EventEmitter } from 'node:events';
import type { RedisGuard } from '../redis/redis-guard.js';
import type { RedisPubSub } from '../redis/redis-pub-sub.js';
import type { AccessSubject } from './access-subject.js';

/**
 * A change to what some tokens may do: one token (JWT id or terminal token id) lost its access,
 * or the state of an organization, account or device changed (each node reads the new state,
 * closes the connections it denies, and schedules an organization's expiry).
 */
export type AccessChange = { kind: 'token'; tokenId: string; /** The token got a new secret (rather than being revoked). */ replaced?: true } | AccessSubject;

/** Tells every node of an access change, so that each closes its own connections that lost access. */
export interface RevocationBus {
  publish(change: AccessChange): Promise<void>;
  onChange(listener: (change: AccessChange) => void): void;
  close(): Promise<void>;
}

export class LocalRevocationBus implements RevocationBus {
  private readonly events = new EventEmitter();

  async publish(change: AccessChange): Promise<void> {
    this.events.emit('change', change);
  }

  onChange(listener: (change: AccessChange) => void): void {
    this.events.on('change', listener);
  }

  async close(): Promise<void> {
    this.events.removeAllListeners();
  }
}

/** Access changes over a Redis pub/sub channel (a sharded one on a cluster), `{prefix}:revocations`, as JSON. */
export class RedisRevocationBus implements RevocationBus {
  private readonly local = new LocalRevocationBus();
  private readonly channel: string;

  private constructor(
    private readonly pubSub: RedisPubSub,
    private readonly guard: RedisGuard,
    prefix: string,
  ) {
    this.channel = `${prefix}:revocations`;
  }

  static async start(pubSub: RedisPubSub, guard: RedisGuard, prefix: string): Promise<RedisRevocationBus> {
    const bus = new RedisRevocationBus(pubSub, guard, prefix);
    await guard.run(() => pubSub.subscribe(bus.channel, (message) => {
      const change = parseChange(message);
      if (change) void bus.local.publish(change);
    }));
    return bus;
  }

  async publish(change: AccessChange): Promise<void> {
    await this.guard.run(() => this.pubSub.publish(this.channel, JSON.stringify(change)));
  }

  onChange(listener: (change: AccessChange) => void): void {
    this.local.onChange(listener);
  }

  async close(): Promise<void> {
    await this.guard.run(() => this.pubSub.unsubscribe(this.channel)).catch(() => undefined);
    await this.local.close();
  }
}

/** A message of the channel; anything else written there (by hand, by another version) is ignored. */
function parseChange(message: string): AccessChange | undefined {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const change = value as Record<string, unknown>;
  const strings = (...names: string[]): boolean => names.every((name) => typeof change[name] === 'string');
  switch (change.kind) {
    case 'token':
      return strings('tokenId') && (change.replaced === undefined || change.replaced === true) ? value as AccessChange : undefined;
    case 'organization':
      return strings('organization') ? value as AccessChange : undefined;
    case 'account':
      return strings('organization', 'platform', 'login') ? value as AccessChange : undefined;
    case 'device':
      return strings('organization', 'device') ? value as AccessChange : undefined;
    default:
      return undefined;
  }
}
