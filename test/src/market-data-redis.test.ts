import assert from 'node:assert/strict';
import { createClient, type RedisClientType } from 'redis';
import { Topics, type Tick, type TradeEnvelope } from '@tradehub/shared';
import { recomputeBars } from './support/bar-recomputation.js';
import { SHARED_REDIS_URL } from './support/redis-server.js';
import { ev, snapshotOf, TradeClient } from './support/trade-helpers.js';
import { clientToken, NodeGroup } from './support/tradehub-app.js';

const BAR_HISTORY = 3;

describe('market data across nodes through Redis', function () {
  this.timeout(30_000);
  let group: NodeGroup;
  let redis: RedisClientType;
  const clients: TradeClient[] = [];
  before(async () => {
    group = await NodeGroup.start(2, SHARED_REDIS_URL, { config: (base) => ({ ...base, trade: { ...base.trade, barHistory: BAR_HISTORY } }) });
    redis = createClient({ url: SHARED_REDIS_URL });
    await redis.connect();
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.stop()));
    await redis.close();
    await group.close();
  });

  async function connect(node: number, clientId: string, secret: string): Promise<TradeClient> {
    const client = await TradeClient.connect(group.node(node).tradeHubUrl, await clientToken(group.node(node).baseUrl, clientId, secret));
    clients.push(client);
    return client;
  }

  it('bars of ticks accepted by either node and the ingest stream equal a recomputation from the tick topic, keep the last barHistory, and reach every node', async () => {
    const publishers = [await connect(0, 'demo-publisher', 'demo-publisher-secret'), await connect(1, 'demo-publisher', 'demo-publisher-secret')];
    const tickReader = await connect(0, 'demo-reader', 'demo-reader-secret');
    const barReader = await connect(1, 'demo-reader', 'demo-reader-secret');
    const symbol = 'RBARS';
    const ticksTopic = Topics.ticks('demo', symbol);
    const m1 = Topics.bars('demo', symbol, 'M1');
    const h1 = Topics.bars('demo', symbol, 'H1');
    await tickReader.subscribeOne(ticksTopic);
    await barReader.subscribeOne(m1);
    const start = Date.now() - 3_600_000;
    let count = 0;
    const tickAt = (minute: number, bid: number): Tick => ({ symbol, bid, ask: bid + 0.0002, time: start + minute * 60_000 + (count % 7) * 1000 });
    // The feed moves between the nodes and the ingest stream, tick by tick; one tick comes late.
    const minutes = [0, 0, 1, 1, 1, 2, 0, 3, 3, 4, 5, 5, 6];
    for (const [index, minute] of minutes.entries()) {
      const tick = tickAt(minute, 1.1 + index / 1000);
      count++;
      if (index % 3 === 2) {
        await redis.xAdd(`${group.prefix}:ingest`, '*', { events: JSON.stringify([{ type: 'tick', platformId: 'demo', data: tick }]) });
      } else {
        await (publishers[index % 3] as TradeClient).publish([{ type: 'tick', platformId: 'demo', data: tick }]);
      }
      // Accepted before the next one goes anywhere.
      await tickReader.waitForEvents(count, ticksTopic);
    }
    // The same ticks, in the order the hub accepted them (their seq order).
    const accepted = tickReader.eventsOf(ticksTopic).map((event) => (event as Extract<TradeEnvelope, { type: 'tick' }>).data);
    const expectedM1 = recomputeBars(accepted, 'M1');
    const expectedH1 = recomputeBars(accepted, 'H1');
    assert.ok(expectedM1.counted < accepted.length, 'the late tick made no M1 bar event');
    // Bars of the ingest ticks are stored after the ticks: wait for the last bar event at the other node.
    await barReader.waitForEvents(expectedM1.counted, m1);
    const live = barReader.eventsOf(m1);
    assert.deepEqual(live.map((event) => event.seq), Array.from({ length: expectedM1.counted }, (_, i) => i + 1));
    const lastLive = live.at(-1);
    assert.ok(lastLive?.type === 'bar');
    assert.deepEqual(lastLive.data, expectedM1.bars.at(-1));
    for (const [node, topic, expected] of [[0, m1, expectedM1], [1, h1, expectedH1]] as const) {
      const reader = await connect(node, 'demo-reader', 'demo-reader-secret');
      const result = await reader.subscribeOne(topic);
      assert.equal(result.seq, expected.counted, `${topic}: one bar event per counted tick`);
      assert.deepEqual(snapshotOf(result, 'bars').bars, expected.bars.slice(-BAR_HISTORY), `${topic}: the last ${BAR_HISTORY} bars`);
    }
  });

  it('depth published on one node reaches a subscriber on the other, and its snapshot there', async () => {
    const publisher = await connect(0, 'demo-publisher', 'demo-publisher-secret');
    const reader = await connect(1, 'demo-reader', 'demo-reader-secret');
    const topic = Topics.depth('demo', 'RDEPTH');
    assert.equal(snapshotOf(await reader.subscribeOne(topic), 'depth').depth, null);
    await publisher.publish([ev.depth('RDEPTH', 1.1)]);
    const [event] = await reader.waitForEvents(1, topic);
    assert.ok(event?.type === 'depth');
    assert.deepEqual(event.data, ev.depth('RDEPTH', 1.1).data);
  });
});
