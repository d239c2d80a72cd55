import assert from 'node:assert/strict';
import { ConfigurationError, Topics, type Bar, type TopicItem, type TradehubClient } from '@tradehub/client';
import { ClientPool, PUBLISHER, READER } from './support/client-fixtures.js';
import { startTradehub, type RunningTradehub } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';

describe('client: bars, depth and maxRatePerSecond (typed client)', function () {
  this.timeout(20_000);
  let hub: RunningTradehub;
  const pool = new ClientPool();
  let reader: TradehubClient;
  let publisher: TradehubClient;
  before(async () => {
    hub = await startTradehub();
    reader = await pool.connect({ url: hub.baseUrl, credentials: READER });
    publisher = await pool.connect({ url: hub.baseUrl, credentials: PUBLISHER });
  });
  after(async () => {
    await pool.closeAll();
    await hub.close();
  });

  const quote = (symbol: string, bid: number, time = Date.now()) => ({ type: 'tick' as const, platformId: 'demo', data: { symbol, bid, ask: bid + 0.0002, time } });

  it('keeps the bars and depth book of subscribed symbols in its state, typed by topic', async () => {
    const minute = Date.now() - (Date.now() % 60_000) - 120_000;
    await publisher.publish([quote('CBARS', 1.1, minute), quote('CBARS', 1.3, minute + 1000), quote('CBARS', 1.2, minute + 60_000)]);
    const topic = Topics.bars('demo', 'CBARS', 'M1');
    const items: Array<TopicItem<typeof topic>> = [];
    const subscription = await reader.subscribe([topic, Topics.depth('demo', 'CBARS')], (item) => {
      items.push(item as TopicItem<typeof topic>);
    });
    const first = items.find((item) => item.kind === 'snapshot' && item.topic === topic);
    assert.ok(first?.kind === 'snapshot' && first.snapshot.kind === 'bars');
    const bars: Bar[] = first.snapshot.bars;
    assert.deepEqual(bars.map((bar) => [bar.open, bar.high, bar.close, bar.tickVolume]), [[1.1, 1.3, 1.3, 2], [1.2, 1.2, 1.2, 1]]);
    await publisher.publish([quote('CBARS', 1.25, minute + 61_000)]);
    await waitUntil(() => reader.state.bars('demo', 'CBARS', 'M1').at(-1)?.tickVolume === 2, 'the updated current bar in the state');
    assert.equal(reader.state.bars('demo', 'CBARS', 'M1').length, 2);
    assert.equal(reader.state.depth('demo', 'CBARS'), null);
    const book = { symbol: 'CBARS', time: Date.now(), bids: [{ price: 1.2, volume: 100 }], asks: [{ price: 1.3, volume: 200 }] };
    await publisher.publish([{ type: 'depth', platformId: 'demo', data: book }]);
    await waitUntil(() => reader.state.depth('demo', 'CBARS') !== null, 'the depth book in the state');
    assert.deepEqual(reader.state.depth('demo', 'CBARS'), book);
    subscription.unsubscribe();
  });

  it('asks the server for maxRatePerSecond: ticks conflated, the newest last; and refuses a rate out of range', async () => {
    const topic = Topics.ticks('demo', 'CRATE');
    const received: number[] = [];
    const subscription = await reader.subscribe(topic, (item) => {
      if (item.kind === 'event') received.push(item.event.seq);
    }, { maxRatePerSecond: 2 });
    const started = Date.now();
    for (let i = 1; i <= 30; i++) await publisher.publish([quote('CRATE', 1 + i / 1000)]);
    await waitUntil(() => received.at(-1) === 30, 'the newest tick');
    const seconds = (Date.now() - started) / 1000;
    assert.ok(received.length < 30 && received.length <= Math.ceil(seconds * 2) + 1, `${received.length} ticks delivered of 30 in ${seconds} s`);
    subscription.unsubscribe();
    await assert.rejects(reader.subscribe(topic, () => undefined, { maxRatePerSecond: 0 }), ConfigurationError);
    assert.throws(() => reader.events(topic, { maxRatePerSecond: 1001 }), ConfigurationError);
  });
});
