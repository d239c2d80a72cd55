import assert from 'node:assert/strict';
import type { HubConnection } from '@microsoft/signalr';
import type { SubscribeResult, TradeEnvelope } from '@tradehub/shared';
import { createClient, type RedisClientType } from 'redis';
import { officialClient } from './support/official-client.js';
import { deleteKeys, SHARED_REDIS_URL } from './support/redis-server.js';
import { clientToken, startTradehub, uniqueKeyPrefix, type RunningTradehub } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';

describe('the Redis ingest stream', () => {
  const prefix = uniqueKeyPrefix();
  const nodes: RunningTradehub[] = [];
  let redis: RedisClientType;
  let reader: HubConnection | undefined;
  before(async () => {
    for (let i = 0; i < 2; i++) nodes.push(await startTradehub({ redis: { url: SHARED_REDIS_URL, keyPrefix: prefix } }));
    redis = createClient({ url: SHARED_REDIS_URL });
    await redis.connect();
  });
  after(async () => {
    await reader?.stop();
    for (const node of nodes) await node.close();
    await redis.close();
    await deleteKeys(SHARED_REDIS_URL, prefix);
  });

  it('publishes each entry once and in stream order though two nodes run, and sets invalid entries aside with the reason', async () => {
    const node = nodes[0] as RunningTradehub;
    const token = await clientToken(node.baseUrl, 'demo-reader', 'demo-reader-secret');
    reader = officialClient(node.tradeHubUrl, { accessTokenFactory: () => token });
    reader.on('OnConnectionStatus', () => undefined);
    const received: TradeEnvelope[] = [];
    reader.on('OnEvent', (envelope: TradeEnvelope) => received.push(envelope));
    await reader.start();
    const [result] = await reader.invoke('Subscribe', ['platforms/demo/ticks/*']) as SubscribeResult[];
    assert.equal(result?.status, 'wildcard');
    for (let i = 0; i < 20; i++) {
      const events = [{ type: 'tick', platformId: 'demo', data: { symbol: i % 2 === 0 ? 'EURUSD' : 'GBPUSD', bid: 1 + i / 1000, ask: 1.001 + i / 1000, time: Date.now() } }];
      await redis.xAdd(`${prefix}:ingest`, '*', { events: JSON.stringify(events) });
    }
    await redis.xAdd(`${prefix}:ingest`, '*', { events: JSON.stringify([{ type: 'tick', platformId: 'demo', data: { symbol: 'EURUSD', bid: 'x' } }]) });
    await redis.xAdd(`${prefix}:ingest`, '*', { events: JSON.stringify([{ type: 'tick', platformId: 'elsewhere', data: { symbol: 'EURUSD', bid: 1, ask: 1, time: 1 } }]) });
    await redis.xAdd(`${prefix}:ingest`, '*', { events: 'not json' });
    // Only the terminal hub says whether a terminal is online: a feed cannot forge it.
    const forged = { type: 'terminal.status', platformId: 'demo', data: { state: 'online', platform: 'demo', login: '1001', name: 'x', tokenId: null, node: 'n', time: 1 } };
    await redis.xAdd(`${prefix}:ingest`, '*', { events: JSON.stringify([forged]) });
    // Sentinel: one node at a time reads the stream in order, so once this last valid entry is
    // delivered every entry before it was handled, and a duplicate would have come before it.
    const sentinel = [{ type: 'tick', platformId: 'demo', data: { symbol: 'USDJPY', bid: 150, ask: 150.01, time: Date.now() } }];
    await redis.xAdd(`${prefix}:ingest`, '*', { events: JSON.stringify(sentinel) });
    await waitUntil(() => received.some((e) => e.topic.endsWith('USDJPY')), 'the sentinel entry');
    assert.equal(received.pop()?.topic, 'platforms/demo/ticks/USDJPY');
    assert.equal(received.length, 20);
    const bySymbol = (symbol: string) => received.filter((e) => e.topic.endsWith(symbol)).map((e) => e.seq);
    assert.deepEqual(bySymbol('EURUSD'), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual(bySymbol('GBPUSD'), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // Source order: the i-th entry carried bid 1 + i/1000.
    const bids = received.map((e) => (e.type === 'tick' ? e.data.bid : NaN));
    assert.deepEqual(bids, Array.from({ length: 20 }, (_, i) => 1 + i / 1000));
    const rejected = await redis.xRange(`${prefix}:ingest:rejected`, '-', '+');
    assert.deepEqual((rejected ?? []).map((entry) => entry?.message.reason), [
      'Invalid events: event 0 (data.bid): Invalid input: expected number, received string; event 0 (data.ask): Invalid input: expected number, received undefined; event 0 (data.time): Invalid input: expected number, received undefined',
      "Unknown platform 'elsewhere'.",
      "The 'events' field is not valid JSON.",
      "'terminal.status' events are published by tradehub's terminal hub only; a publisher may not send them.",
    ]);
    // The sentinel's entry is deleted just after it is published.
    await waitUntil(async () => (await redis.xLen(`${prefix}:ingest`)) === 0, 'every entry to be deleted from the stream');
  });
});
