import {
  ClientClosedError, ClientOfflineError, ConnectionTimeoutError, DisconnectsClientError, ErrorReply, ReconnectStrategyError,
  SocketClosedUnexpectedlyError, SocketTimeoutError, TimeoutError,
} from 'redis';
import { ServiceUnavailableError } from '../errors/service-unavailable-error.js';

/** Redis is unreachable, does not answer in time, or refuses writes for now (out of memory, read-only, ...). */
export class RedisUnavailableError extends ServiceUnavailableError {
  override readonly name = 'RedisUnavailableError';
}

/**
 * Error replies by which Redis refuses a command for a state that passes (or that an operator
 * fixes), not because of the command: out of memory under `noeviction`, a read-only replica,
 * a cluster without quorum, failed snapshots (`stop-writes-on-bgsave-error`), loading data
 * after a restart, a busy script, a replica without its master.
 */
const REFUSAL_CODES = ['OOM', 'READONLY', 'CLUSTERDOWN', 'MISCONF', 'LOADING', 'BUSY', 'MASTERDOWN', 'NOREPLICAS', 'TRYAGAIN'];

/** What the client throws when it has no working connection to Redis. */
const CONNECTION_ERRORS = [
  ClientClosedError, ClientOfflineError, ConnectionTimeoutError, DisconnectsClientError, ReconnectStrategyError,
  SocketClosedUnexpectedlyError, SocketTimeoutError, TimeoutError,
];

/**
 * Whether an error of the Redis client means "Redis cannot serve this now": a refusal reply of
 * the list above, a connection failure of the client, or a socket error of the system
 * (ECONNREFUSED, ...). Other errors (WRONGTYPE, a script error, a bug) are not Redis's state.
 */
export function isRedisUnavailability(error: unknown): boolean {
  if (error instanceof RedisUnavailableError) return true;
  if (error instanceof ErrorReply) return REFUSAL_CODES.includes(error.message.split(' ', 1)[0] ?? '');
  if (CONNECTION_ERRORS.some((type) => error instanceof type)) return true;
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

/** What a refusal code means, in words a client can show. */
const REFUSAL_REASONS: Readonly<Record<string, string>> = {
  OOM: 'Redis is out of memory',
  READONLY: 'Redis is a read-only replica',
  CLUSTERDOWN: 'the Redis cluster is down',
  MISCONF: 'Redis refuses writes after a failed snapshot',
  LOADING: 'Redis is loading its data',
  MASTERDOWN: 'the Redis master is down',
  NOREPLICAS: 'Redis has too few replicas',
  TRYAGAIN: 'Redis is moving the keys',
  BUSY: 'Redis is busy running a script',
};

/**
 * Why Redis could not serve a call, in a few words for the caller: the refusal code of its reply
 * (found through `cause`) or "not answering". Never the command, its keys or the server address.
 */
export function unavailabilityReason(error: unknown): string {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (current instanceof ErrorReply) {
      return REFUSAL_REASONS[current.message.split(' ', 1)[0] ?? ''] ?? 'Redis refused the command';
    }
  }
  return error instanceof RedisUnavailableError ? 'Redis is not answering' : 'Redis cannot be reached';
}
