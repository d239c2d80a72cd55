import assert from 'node:assert/strict';
import { Topics, type TradeEnvelope } from '@tradehub/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClientPool, PUBLISHER, READER, tradeEvents } from './support/client-fixtures.js';
import { waitUntil } from './support/wait.js';
import { OwnRedisServer } from './support/redis-server.js';
import { startTradehub, uniqueKeyPrefix, type RunningTradehub } from './support/tradehub-app.js';

const LOGIN = '7101';
const EVENTS = 150;

describe('client: a Redis restart while reading and publishing', function () {
  this.timeout(60_000);
  let redis: OwnRedisServer;
  const nodes: RunningTradehub[] = [];
  const pool = new ClientPool();
  before(async () => {
    redis = await OwnRedisServer.start();
    const keyPrefix = uniqueKeyPrefix();
    for (let i = 0; i < 2; i++) nodes.push(await startTradehub({ redis: { url: redis.url, keyPrefix } }));
  });
  after(async () => {
    await pool.closeAll();
    for (const node of nodes) await node.close();
    await redis.dispose();
  });

  it('ends with exactly the published events: each once, in order', async () => {
    const [nodeA, nodeB] = nodes as [RunningTradehub, RunningTradehub];
    const reader = await pool.connect({ url: nodeA.baseUrl, credentials: READER });
    const publisher = await pool.connect({ url: nodeB.baseUrl, credentials: PUBLISHER });
    const received: TradeEnvelope[] = [];
    const kinds: string[] = [];
    const subscription = await reader.subscribe(Topics.account('demo', LOGIN), (item) => {
      kinds.push(item.kind);
      if (item.kind === 'event') received.push(item.event);
    });
    const feed = publisher.publisher({ maxBatch: 5 });
    const publishing = (async () => {
      for (let n = 1; n <= EVENTS; n++) {
        await feed.write(tradeEvents.deal(LOGIN, n, `redis-${n}`));
        await sleep(10); // a pace, so that the outage falls mid-stream
      }
      return feed.close();
    })();
    await waitUntil(() => received.length >= 20, '20 events before the outage', 10_000);
    await redis.stop();
    // Time itself is the subject: the outage lasts 1.5 s whatever the clients do meanwhile.
    await sleep(1_500);
    await redis.start();
    const stats = await publishing;
    await waitUntil(() => received.length >= EVENTS, `all ${EVENTS} events`, 20_000);
    // Sentinel: the topic's events arrive in order, so a duplicate would come before it.
    await publisher.publish([tradeEvents.deal(LOGIN, EVENTS + 1, 'sentinel')]);
    await waitUntil(() => received.some((e) => e.id === 'sentinel'), 'the sentinel event');
    subscription.unsubscribe();
    assert.equal(received.pop()?.id, 'sentinel');

    assert.equal(stats.published, EVENTS);
    assert.deepEqual(received.map((e) => e.id), Array.from({ length: EVENTS }, (_, i) => `redis-${i + 1}`));
    assert.deepEqual(received.map((e) => e.seq), Array.from({ length: EVENTS }, (_, i) => i + 1));
    assert.deepEqual(kinds.filter((k) => k !== 'event'), ['snapshot']);
  });
});
