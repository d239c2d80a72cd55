import assert from 'node:assert/strict';
import type { HubConnection } from '@microsoft/signalr';
import type { SubscribeResult, TradeEnvelope } from '@tradehub/shared';
import { setTimeout as sleep } from 'node:timers/promises';
import { OwnRedisServer } from './support/redis-server.js';
import { startTradehub, tradeConnection, uniqueKeyPrefix, type RunningTradehub } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';

const TOPIC = 'platforms/demo/accounts/7001';
const EVENTS = 150;

describe('trade events across a Redis restart, three nodes', function () {
  this.timeout(60_000);
  let redis: OwnRedisServer;
  const nodes: RunningTradehub[] = [];
  const open: HubConnection[] = [];

  before(async () => {
    redis = await OwnRedisServer.start();
    const keyPrefix = uniqueKeyPrefix();
    for (let i = 0; i < 3; i++) nodes.push(await startTradehub({ redis: { url: redis.url, keyPrefix } }));
  });
  after(async () => {
    await Promise.all(open.map((c) => c.stop()));
    for (const node of nodes) await node.close();
    await redis.dispose();
  });

  async function connect(node: RunningTradehub, client: string, secret: string): Promise<HubConnection> {
    const connection = await tradeConnection(node, client, secret);
    open.push(connection);
    return connection;
  }

  function deal(n: number): Record<string, unknown> {
    return {
      type: 'deal', platformId: 'demo', id: `deal-${n}`,
      data: {
        deal: String(100_000 + n), order: String(200_000 + n), position: String(300_000 + n), login: '7001', symbol: 'EURUSD',
        action: 'buy', entry: 'in', volume: 10_000, price: 1.1, profit: 0, commission: 0, swap: 0, time: Date.now(),
      },
    };
  }

  it('a dashboard on A and a bot on B each receive every event published on C, once and in order', async () => {
    const [nodeA, nodeB, nodeC] = nodes as [RunningTradehub, RunningTradehub, RunningTradehub];
    const consumers = [await connect(nodeA, 'demo-reader', 'demo-reader-secret'), await connect(nodeB, 'demo-reader', 'demo-reader-secret')];
    const received: TradeEnvelope[][] = [[], []];
    const resyncs: unknown[] = [];
    for (const [index, consumer] of consumers.entries()) {
      consumer.on('OnEvent', (envelope: TradeEnvelope) => received[index]?.push(envelope));
      consumer.on('OnResync', (notice: unknown) => resyncs.push(notice));
      const [result] = await consumer.invoke('Subscribe', [TOPIC]) as SubscribeResult[];
      assert.equal(result?.status, 'snapshot');
    }
    const publisher = await connect(nodeC, 'demo-publisher', 'demo-publisher-secret');
    let refused = 0;
    let duplicates = 0;
    const publishing = (async () => {
      for (let n = 1; n <= EVENTS; n++) {
        for (;;) {
          try {
            const result = await publisher.invoke('Publish', [deal(n)]) as { results: Array<{ duplicate: boolean }> };
            if (result.results[0]?.duplicate) duplicates++;
            break;
          } catch (error) {
            assert.match(String((error as Error).message), /event store is unreachable/);
            refused++;
            await sleep(100); // a pause before retrying, as a real publisher would
          }
        }
        await sleep(5); // a pace, so that the outage falls mid-stream
      }
    })();
    await waitUntil(() => received.every((events) => events.length >= 20), 'the first events on A and B');
    await redis.stop();
    // Time itself is the subject: the outage lasts 2 s whatever the publisher does meanwhile.
    await sleep(2_000);
    await redis.start();
    await publishing;
    await waitUntil(() => received.every((events) => events.length >= EVENTS), `all ${EVENTS} events on A and B`, 10_000);
    // Sentinel: the topic's events arrive in order, so a duplicate would come before it.
    await publisher.invoke('Publish', [{ ...deal(EVENTS + 1), id: 'sentinel' }]);
    await waitUntil(() => received.every((events) => events.some((e) => e.id === 'sentinel')), 'the sentinel on A and B');
    for (const events of received) assert.equal(events.pop()?.id, 'sentinel');
    assert.ok(refused > 0, 'the outage should have refused some publishes');
    assert.deepEqual(resyncs, []);
    for (const events of received) {
      assert.equal(events.length, EVENTS);
      assert.deepEqual(events.map((e) => e.seq), Array.from({ length: EVENTS }, (_, i) => i + 1));
      assert.deepEqual(events.map((e) => e.id), Array.from({ length: EVENTS }, (_, i) => `deal-${i + 1}`));
    }
    // A publish whose answer was lost in the outage is retried and answered `duplicate`: stored once.
    assert.ok(duplicates <= refused, `${duplicates} duplicate answers for ${refused} refused attempts`);
  });
});
