import type { RedisClientType } from 'redis';

/**
 * The Redis commands tradehub sends, typed as node-redis's client has them: one Redis's client
 * and a cluster client both fit, so that nothing but the composition point knows which it has.
 * Each command here touches one key, or keys of one hash slot (a topic's keys share a hash tag):
 * none needs a cross-slot operation on a cluster.
 */
export type RedisCommands = Pick<RedisClientType,
  | 'isReady' | 'get' | 'set' | 'del' | 'exists' | 'hGet' | 'sAdd' | 'sMembers' | 'eval' | 'evalSha'
  | 'xAdd' | 'xAutoClaim' | 'xGroupCreate' | 'xReadGroup'>;
