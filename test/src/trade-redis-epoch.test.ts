import assert from 'node:assert/strict';
import type { SubscribeResult } from '@tradehub/shared';
import { createClient, type RedisClientType } from 'redis';
import { SHARED_REDIS_URL } from './support/redis-server.js';
import { NodeGroup } from './support/tradehub-app.js';

describe('Redis broker: the epoch of a topic nobody publishes to', () => {
  let group: NodeGroup;
  let redis: RedisClientType;
  before(async () => {
    group = await NodeGroup.start(1, SHARED_REDIS_URL);
    redis = createClient({ url: SHARED_REDIS_URL });
    await redis.connect();
  });
  after(async () => {
    await redis.close();
    await group.close();
  });

  it('expires unless an event comes, and stays once one did, with the same epoch', async () => {
    const topic = 'platforms/demo/ticks/NOBODY';
    const epochKey = `${group.prefix}:trade:epoch:{${topic}}`;
    const reader = await group.trade(0, 'demo-reader', 'demo-reader-secret');
    const [read] = await reader.invoke('Subscribe', [topic]) as SubscribeResult[];
    assert.ok(read?.status === 'snapshot');
    const ttl = await redis.ttl(epochKey);
    assert.ok(ttl > 0 && ttl <= 86_400, `a read-only topic's epoch expires (ttl ${ttl})`);
    const publisher = await group.trade(0, 'demo-publisher', 'demo-publisher-secret');
    const answer = await publisher.invoke('Publish', [{ type: 'tick', platformId: 'demo', data: { symbol: 'NOBODY', bid: 1, ask: 1.1, time: Date.now() } }]) as { results: Array<{ seq: number }> };
    assert.equal(answer.results[0]?.seq, 1);
    assert.equal(await redis.ttl(epochKey), -1, 'a topic with events keeps its epoch');
    assert.equal(await redis.get(epochKey), read.epoch, 'the subscriber kept its place: same epoch');
  });
});
