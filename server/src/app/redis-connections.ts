import { createClient, type RedisClientType } from 'redis';
import type { Logger } from 'pino';
import type { RedisConfig } from '../config/config-schema.js';
import { ClassicPubSub } from '../redis/classic-pub-sub.js';
import type { RedisCommands } from '../redis/redis-commands.js';
import { reconnectDelayMs } from '../redis/reconnect-delay.js';
import { RedisGuard } from '../redis/redis-guard.js';
import type { RedisPubSub } from '../redis/redis-pub-sub.js';
import { RedisUnavailableError } from '../redis/redis-unavailable-error.js';
import type { BackplaneMetrics } from '../observability/backplane-metrics.js';
import { connectRedisCluster } from './redis-cluster-connections.js';

/** What a node uses of Redis, the same on one Redis and on a cluster. */
export interface RedisConnections {
  /** For commands and scripts. */
  commands: RedisCommands;
  /** Channels between nodes: classic pub/sub on one Redis, sharded pub/sub on a cluster. */
  pubSub: RedisPubSub;
  /** For blocking reads of the ingest stream. */
  reader: RedisCommands;
  /** Every call on these connections goes through it: time-out, and refusal while Redis is silent. */
  guard: RedisGuard;
  /** Whether the command and subscriber connections are up (the guard says whether Redis answers). */
  readonly ready: boolean;
  close(): Promise<void>;
}

/** One Redis (`url`) or the seed nodes of a Redis Cluster (`clusterNodes`). */
export type RedisConnectionOptions = ({ url: string } | { clusterNodes: readonly string[] }) & {
  /** Longest wait for a Redis call, connecting included. */
  commandTimeoutMs: number;
};

/** Where the configuration says Redis is: one server's URL, or the seed nodes of a cluster. */
export function redisTarget(redis: RedisConfig): { url: string } | { clusterNodes: readonly string[] } {
  if (redis.cluster) return { clusterNodes: redis.cluster };
  if (redis.url !== undefined) return { url: redis.url };
  throw new Error('redis needs url or cluster.');
}

/** Opens the Redis connections a node needs; they reconnect by themselves after an outage. */
export async function connectRedis(options: RedisConnectionOptions, logger: Logger, metrics?: BackplaneMetrics): Promise<RedisConnections> {
  return 'clusterNodes' in options
    ? connectRedisCluster({ nodes: options.clusterNodes, commandTimeoutMs: options.commandTimeoutMs }, logger, metrics)
    : connectSingleRedis(options.url, options.commandTimeoutMs, logger, metrics);
}

async function connectSingleRedis(url: string, commandTimeoutMs: number, logger: Logger, metrics?: BackplaneMetrics): Promise<RedisConnections> {
  const commands: RedisClientType = createClient({
    url,
    // Commands fail at once while Redis is unreachable, so that callers get a clear error
    // instead of waiting on a queue that grows without bound.
    disableOfflineQueue: true,
    // The client's own time-out drops a command that could not even be written in time (a full
    // socket buffer), so that it is never run late; once written, the guard's time-out applies.
    commandOptions: { timeout: commandTimeoutMs },
    socket: { reconnectStrategy: reconnectDelayMs, connectTimeout: commandTimeoutMs },
  });
  const subscriber: RedisClientType = commands.duplicate();
  const reader: RedisClientType = commands.duplicate();
  // Until the first connect succeeds, its failure is reported once by the error thrown below, not by a line per retry.
  let connected = false;
  for (const [role, client] of [['commands', commands], ['subscriber', subscriber], ['reader', reader]] as const) {
    // Without a listener an 'error' event would end the process; the client retries on its own.
    client.on('error', (error: Error) => {
      if (connected) logger.warn({ role, reason: error.message }, 'redis connection error');
    });
    client.on('reconnecting', () => {
      if (connected) metrics?.reconnects.inc({ role });
    });
  }
  const guard = new RedisGuard({ commandTimeoutMs, ping: () => commands.ping(), ...(metrics ? { metrics } : {}) }, logger);
  try {
    // The TCP connect has its time-out; the handshake after it (HELLO, SELECT, resubscribing) gets the guard's.
    await guard.run(() => Promise.all([commands.connect(), subscriber.connect(), reader.connect()]));
    connected = true;
  } catch (error) {
    guard.close();
    for (const client of [commands, subscriber, reader]) destroy(client);
    // The host only: the URL may hold a password.
    throw new RedisUnavailableError(
      `Redis at ${new URL(url).host} could not be connected to within ${commandTimeoutMs} ms (redis.commandTimeoutMs).`,
      { cause: error },
    );
  }
  guard.startProbing();
  return {
    commands,
    pubSub: new ClassicPubSub(commands, subscriber),
    reader,
    guard,
    get ready() {
      return commands.isReady && subscriber.isReady;
    },
    close: async () => {
      // A graceful close waits for the replies still due: from a silent Redis, not for ever.
      await Promise.all([commands, subscriber, reader].map((client) => guard.run(() => client.close()).catch(() => destroy(client))));
      guard.close();
    },
  };
}

function destroy(client: { destroy(): void }): void {
  try {
    client.destroy();
  } catch {
    // Already closed.
  }
}
