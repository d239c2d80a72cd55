import { createClient, createCluster, type RedisClusterType } from 'redis';
import type { Logger } from 'pino';
import type { BackplaneMetrics } from '../observability/backplane-metrics.js';
import { RedisGuard } from '../redis/redis-guard.js';
import { ShardedPubSub } from '../redis/sharded-pub-sub.js';
import { RedisUnavailableError } from '../redis/redis-unavailable-error.js';
import { reconnectDelayMs } from '../redis/reconnect-delay.js';
import type { RedisConnections } from './redis-connections.js';

export interface RedisClusterConnectionOptions {
  /** Seed nodes, `host:port` or `redis://[user:password@]host:port`: any reachable one reveals the cluster. */
  nodes: readonly string[];
  commandTimeoutMs: number;
}

/** The first Redis version with sharded pub/sub (SSUBSCRIBE / SPUBLISH). */
const SHARDED_PUB_SUB_MAJOR = 7;

/**
 * Opens the connections of a node on a Redis Cluster: one cluster client for commands and
 * sharded pub/sub (it keeps a subscriber connection per shard of its own), and one for the
 * blocking reads of the ingest stream, which would otherwise hold up the commands of its shard.
 * Refuses, with a clear error, a cluster that is down or has a master older than Redis 7.
 */
export async function connectRedisCluster(options: RedisClusterConnectionOptions, logger: Logger, metrics?: BackplaneMetrics): Promise<RedisConnections> {
  const seeds = options.nodes.map(seedUrl);
  const credentials = seeds.map((url) => new URL(url)).find((url) => url.username !== '' || url.password !== '');
  const commands: RedisClusterType = createCluster({
    rootNodes: seeds.map((url) => ({ url, socket: { connectTimeout: options.commandTimeoutMs, reconnectStrategy: false } })),
    defaults: {
      // As on one Redis: a command for a shard that is unreachable fails at once, without a queue.
      disableOfflineQueue: true,
      socket: { reconnectStrategy: reconnectDelayMs, connectTimeout: options.commandTimeoutMs },
      ...(credentials ? { username: decodeURIComponent(credentials.username) || 'default', password: decodeURIComponent(credentials.password) } : {}),
    },
    commandOptions: { timeout: options.commandTimeoutMs },
    // A master that stopped answering is looked up again soon: its replica may have taken over.
    topologyRefreshOnReconnectionAttemptStrategy: 500,
  });
  const reader: RedisClusterType = commands.duplicate();
  let connected = false;
  for (const [role, cluster] of [['commands', commands], ['reader', reader]] as const) {
    // Without listeners an 'error' event would end the process; the clients retry on their own.
    cluster.on('error', (error: Error) => {
      if (connected) logger.warn({ role, reason: error.message }, 'redis cluster error');
    });
    cluster.on('node-error', (error: Error, node: { host: string; port: number }) => {
      if (connected) logger.warn({ role, node: `${node.host}:${node.port}`, reason: error.message }, 'redis cluster node error');
    });
  }
  // Made once connected, when the slots' layout is known.
  let pubSub: ShardedPubSub | undefined;
  // The probe checks the reader's view of the cluster too (it follows a failover only when told),
  // and has subscriptions that moved with their slot repaired.
  const guard = new RedisGuard({
    commandTimeoutMs: options.commandTimeoutMs,
    ping: async () => {
      await Promise.all([checkMasters(commands), checkMasters(reader)]);
      pubSub?.noticeMovedSlots();
    },
    ...(metrics ? { metrics } : {}),
  }, logger);
  const hosts = seeds.map((url) => new URL(url).host).join(', ');
  const abandon = (): void => {
    guard.close();
    for (const cluster of [commands, reader]) destroy(cluster);
  };
  try {
    await guard.run(() => Promise.all([commands.connect(), reader.connect()]));
  } catch (error) {
    abandon();
    // Hosts only: the URLs may hold a password.
    throw new RedisUnavailableError(
      `No Redis Cluster could be reached through ${hosts} within ${options.commandTimeoutMs} ms (redis.cluster, redis.commandTimeoutMs): `
      + `${(await Promise.all(seeds.map((url) => whatIsAt(url, options.commandTimeoutMs)))).join('; ')}.`,
      { cause: error },
    );
  }
  try {
    await guard.run(() => checkMasters(commands));
  } catch (error) {
    abandon();
    throw error instanceof ClusterRefusedError
      ? error
      : new RedisUnavailableError(`The Redis Cluster reached through ${hosts} is not serving: ${(error as Error).message}`, { cause: error });
  }
  connected = true;
  pubSub = new ShardedPubSub(commands);
  guard.startProbing();
  return {
    commands,
    pubSub,
    reader,
    guard,
    get ready() {
      return commands.isReady && reader.isReady;
    },
    close: async () => {
      await Promise.all([commands, reader].map((cluster) => guard.run(() => cluster.close()).catch(() => destroy(cluster))));
      guard.close();
    },
  };
}

/** A cluster tradehub cannot run on (too old for sharded pub/sub): retrying does not help. */
export class ClusterRefusedError extends Error {
  override readonly name = 'ClusterRefusedError';
}

/**
 * Asks every master whether the cluster serves all its slots (`cluster_state:ok`) and runs
 * Redis 7 or later; the guard's probe, so that the node reports not ready while a shard is down
 * (a master died and no replica took over yet, CLUSTERDOWN).
 */
async function checkMasters(cluster: RedisClusterType): Promise<void> {
  await Promise.all(cluster.masters.map(async (master) => {
    let state: unknown;
    let server: string;
    try {
      const client = await cluster.nodeClient(master);
      [state, server] = await Promise.all([client.sendCommand(['CLUSTER', 'INFO']), client.info('server')]);
      if (!/^cluster_state:ok\r?$/m.test(String(state))) throw new Error(`the cluster is down at ${master.address} (CLUSTERDOWN)`);
    } catch (error) {
      // The client looks the topology up again only when a reply says MOVED, and a command for a
      // master that died gets no reply at all: once its replica took over, nothing would ever
      // tell the client. The probe asks the other nodes for the slots' masters instead.
      cluster._slots.rediscover(undefined, new Set([master.address])).catch(() => undefined);
      throw error;
    }
    const refusal = versionRefusal(master.address, server);
    if (refusal) throw refusal;
  }));
}

/** Why a cluster node cannot serve tradehub, from its `INFO server`: older than Redis 7 (no sharded pub/sub). */
export function versionRefusal(address: string, infoServer: string): ClusterRefusedError | undefined {
  const version = /^redis_version:(\d+)\./m.exec(infoServer)?.[1];
  if (version !== undefined && Number(version) >= SHARDED_PUB_SUB_MAJOR) return undefined;
  return new ClusterRefusedError(
    `The Redis Cluster master at ${address} runs Redis ${version ?? 'of an unknown version'}: `
    + `tradehub needs Redis ${SHARDED_PUB_SUB_MAJOR} or later on a cluster, for sharded pub/sub (SSUBSCRIBE / SPUBLISH).`,
  );
}

/** Why a seed did not reveal a cluster, in a few words: for the error that stops the start. */
async function whatIsAt(url: string, timeoutMs: number): Promise<string> {
  const host = new URL(url).host;
  const client = createClient({ url, socket: { connectTimeout: timeoutMs, reconnectStrategy: false } });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch {
    return `${host} does not answer`;
  }
  try {
    await client.sendCommand(['CLUSTER', 'INFO']);
    return `${host} answers as a cluster node`;
  } catch (error) {
    return /cluster support disabled/i.test((error as Error).message)
      ? `${host} is a Redis without cluster mode (use redis.url for one Redis)`
      : `${host} refused: ${(error as Error).message.slice(0, 80)}`;
  } finally {
    client.destroy();
  }
}

/** `host:port` becomes `redis://host:port`; a URL stays. */
function seedUrl(node: string): string {
  return /^rediss?:\/\//.test(node) ? node : `redis://${node}`;
}

function destroy(cluster: RedisClusterType): void {
  try {
    cluster.destroy();
  } catch {
    // Already closed.
  }
}
