import assert from 'node:assert/strict';
import { loadConfig, versionRefusal } from '@tradehub/server';
import { startTradehub, uniqueKeyPrefix } from './support/tradehub-app.js';
import { messageOf } from './support/thrown.js';

/** What a node says of a Redis Cluster it cannot use; no cluster is started. */
describe('Redis Cluster: bad configuration', () => {
  it('refuses a wrong address list at start, saying what each seed is', async () => {
    await assert.rejects(startTradehub({ redis: { cluster: ['127.0.0.1:1', '127.0.0.1:6379'], keyPrefix: uniqueKeyPrefix(), commandTimeoutMs: 500 } }), {
      name: 'RedisUnavailableError',
      message: 'No Redis Cluster could be reached through 127.0.0.1:1, 127.0.0.1:6379 within 500 ms (redis.cluster, redis.commandTimeoutMs): '
        + '127.0.0.1:1 does not answer; 127.0.0.1:6379 is a Redis without cluster mode (use redis.url for one Redis).',
    });
  });

  it('refuses a cluster node older than Redis 7, which has no sharded pub/sub', () => {
    assert.equal(versionRefusal('10.0.0.1:6379', '# Server\r\nredis_version:7.0.15\r\n'), undefined);
    assert.equal(versionRefusal('10.0.0.1:6379', '# Server\r\nredis_version:6.2.14\r\n')?.message,
      'The Redis Cluster master at 10.0.0.1:6379 runs Redis 6: tradehub needs Redis 7 or later on a cluster, for sharded pub/sub (SSUBSCRIBE / SPUBLISH).');
  });

  it('reads REDIS_CLUSTER_NODES, and refuses a malformed node, both url and cluster, and braces in the key prefix', () => {
    assert.deepEqual(loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000, 127.0.0.1:7001' }).config.redis?.cluster, ['127.0.0.1:7000', '127.0.0.1:7001']);
    assert.equal(messageOf(() => loadConfig({ REDIS_CLUSTER_NODES: 'nonsense' })), 'REDIS_CLUSTER_NODES (item 1): expected host:port or redis://host:port.');
    assert.match(messageOf(() => loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000', REDIS_URL: 'redis://127.0.0.1:6379' })),
      /redis: give either redis.url \(one Redis\) or redis.cluster \(the nodes of a Redis Cluster\), not both/);
    assert.equal(messageOf(() => loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_KEY_PREFIX: 'a{b}' })), 'REDIS_KEY_PREFIX: must not contain { or }.');
  });
});
