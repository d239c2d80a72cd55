import { createClient, type RedisClientType } from 'redis';
import type { Logger } from 'pino';

export interface RedisConnections {
  /** For commands and PUBLISH. */
  commands: RedisClientType;
  /** For SUBSCRIBE only: Redis reserves a subscribed connection for pub/sub. */
  subscriber: RedisClientType;
  /** For blocking reads of the ingest stream. */
  reader: RedisClientType;
  close(): Promise<void>;
}

/** Opens the two Redis connections a node needs; they reconnect by themselves after an outage. */
export async function connectRedis(url: string, logger: Logger): Promise<RedisConnections> {
  const commands: RedisClientType = createClient({
    url,
    // Commands fail at once while Redis is unreachable, so that callers get a clear error
    // instead of waiting on a queue that grows without bound.
    disableOfflineQueue: true,
    socket: { reconnectStrategy: (retries: number) => Math.min(100 * 2 ** Math.min(retries, 5), 2_000), connectTimeout: 5_000 },
  });
  const subscriber: RedisClientType = commands.duplicate();
  const reader: RedisClientType = commands.duplicate();
  for (const [role, client] of [['commands', commands], ['subscriber', subscriber], ['reader', reader]] as const) {
    // Without a listener an 'error' event would end the process; the client retries on its own.
    client.on('error', (error: Error) => logger.warn({ role, reason: error.message }, 'redis connection error'));
  }
  await Promise.all([commands.connect(), subscriber.connect(), reader.connect()]);
  return {
    commands,
    subscriber,
    reader,
    close: async () => {
      await Promise.all([commands, subscriber, reader].map((client) => client.close().catch(() => undefined)));
    },
  };
}
