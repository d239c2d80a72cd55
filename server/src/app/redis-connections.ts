import { createClient, type RedisClientType } from 'redis';
import type { Logger } from 'pino';
import { RedisGuard } from '../redis/redis-guard.js';
import { RedisUnavailableError } from '../redis/redis-unavailable-error.js';
import type { BackplaneMetrics } from '../observability/backplane-metrics.js';

export interface RedisConnections {
  /** For commands and PUBLISH. */
  commands: RedisClientType;
  /** For SUBSCRIBE only: Redis reserves a subscribed connection for pub/sub. */
  subscriber: RedisClientType;
  /** For blocking reads of the ingest stream. */
  reader: RedisClientType;
  /** Every call on these connections goes through it: time-out, and refusal while Redis is silent. */
  guard: RedisGuard;
  close(): Promise<void>;
}

export interface RedisConnectionOptions {
  url: string;
  /** Longest wait for a Redis call, connecting included. */
  commandTimeoutMs: number;
}

/** Opens the three Redis connections a node needs; they reconnect by themselves after an outage. */
export async function connectRedis(options: RedisConnectionOptions, logger: Logger, metrics?: BackplaneMetrics): Promise<RedisConnections> {
  const commands: RedisClientType = createClient({
    url: options.url,
    // Commands fail at once while Redis is unreachable, so that callers get a clear error
    // instead of waiting on a queue that grows without bound.
    disableOfflineQueue: true,
    // The client's own time-out drops a command that could not even be written in time (a full
    // socket buffer), so that it is never run late; once written, the guard's time-out applies.
    commandOptions: { timeout: options.commandTimeoutMs },
    socket: {
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** Math.min(retries, 5), 2_000),
      connectTimeout: options.commandTimeoutMs,
    },
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
  const guard = new RedisGuard({ commandTimeoutMs: options.commandTimeoutMs, ping: () => commands.ping(), ...(metrics ? { metrics } : {}) }, logger);
  try {
    // The TCP connect has its time-out; the handshake after it (HELLO, SELECT, resubscribing) gets the guard's.
    await guard.run(() => Promise.all([commands.connect(), subscriber.connect(), reader.connect()]));
    connected = true;
  } catch (error) {
    guard.close();
    for (const client of [commands, subscriber, reader]) destroy(client);
    // The host only: the URL may hold a password.
    throw new RedisUnavailableError(
      `Redis at ${new URL(options.url).host} could not be connected to within ${options.commandTimeoutMs} ms (redis.commandTimeoutMs).`,
      { cause: error },
    );
  }
  guard.startProbing();
  return {
    commands,
    subscriber,
    reader,
    guard,
    close: async () => {
      // A graceful close waits for the replies still due: from a silent Redis, not for ever.
      await Promise.all([commands, subscriber, reader].map((client) => guard.run(() => client.close()).catch(() => destroy(client))));
      guard.close();
    },
  };
}

function destroy(client: RedisClientType): void {
  try {
    client.destroy();
  } catch {
    // Already closed.
  }
}
