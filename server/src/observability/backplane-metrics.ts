import { Counter, Histogram, type Registry } from 'prom-client';

/** Why a Redis call failed: `timeout` (no answer in time), `unavailable` (refused while Redis is silent, connection lost), `error` (any other). */
export type RedisErrorKind = 'timeout' | 'unavailable' | 'error';

/** Redis as this node sees it: how long calls take, which fail, how often a connection came back. */
export class BackplaneMetrics {
  readonly commandDuration: Histogram;
  readonly commandErrors: Counter<'kind'>;
  readonly reconnects: Counter<'role'>;

  constructor(registry: Registry) {
    this.commandDuration = new Histogram({
      name: 'tradehub_redis_command_duration_seconds',
      help: 'How long Redis calls took (a call may be a few commands sent together), blocking reads excluded.',
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    });
    this.commandErrors = new Counter({
      name: 'tradehub_redis_command_errors_total',
      help: 'Redis calls that failed, by kind (timeout, unavailable, error).',
      labelNames: ['kind'],
      registers: [registry],
    });
    this.reconnects = new Counter({
      name: 'tradehub_redis_reconnects_total',
      help: 'Times a Redis connection of this node began reconnecting, by role (commands, subscriber, reader).',
      labelNames: ['role'],
      registers: [registry],
    });
    for (const kind of ['timeout', 'unavailable', 'error'] satisfies RedisErrorKind[]) this.commandErrors.inc({ kind }, 0);
  }
}
