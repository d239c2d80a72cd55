import assert from 'node:assert/strict';
import {
  ConfigurationError, InvalidTopicError, JsonRpcCallError, JsonRpcErrorCode, SubscriptionRefusedError, Topics, type Bar, type TopicItem,
  type TradehubClient, type TradeEnvelope,
} from '@tradehub/client';
import { ClientPool, PUBLISHER, READER, tradeEvents } from './support/client-fixtures.js';
import { waitUntil } from './support/wait.js';
import { startTradehub, type RunningTradehub } from './support/tradehub-app.js';

describe('client: subscriptions, state, hub, REST and JSON-RPC against one node', function () {
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

  it('delivers the snapshot first, then each event in order, narrowed by type', async () => {
    await publisher.publish([tradeEvents.position('3001', '11', 10_000, 's-1'), tradeEvents.account('3001', 5_000, 's-2')]);
    const topic = Topics.account('demo', '3001');
    const items: Array<TopicItem<typeof topic>> = [];
    const stream = reader.events(topic);
    const reading = (async () => {
      for await (const item of stream) {
        items.push(item);
        if (item.kind === 'event' && item.event.type === 'position') {
          // Narrowed at compile time: a position's data has a volume, a tick's would not be allowed here.
          const volume: number = item.event.data.volume;
          assert.ok(volume >= 0);
        }
        if (items.length === 4) break;
      }
    })();
    await waitUntil(() => stream.started, 'the subscription');
    await publisher.publish([
      tradeEvents.position('3001', '12', 20_000, 's-3'),
      tradeEvents.position('3001', '11', 0, 's-4'),
      tradeEvents.order('3001', '77', 'placed', 's-5'),
    ]);
    await reading;
    const [snapshot, ...events] = items;
    assert.ok(snapshot?.kind === 'snapshot');
    assert.equal(snapshot.seq, 2);
    assert.equal(snapshot.snapshot.kind, 'accounts');
    assert.deepEqual(snapshot.snapshot.accounts[0]?.positions.map((p) => p.position), ['11']);
    assert.equal(snapshot.snapshot.accounts[0]?.account?.balance, 5_000);
    assert.deepEqual(events.map((item) => item.kind === 'event' ? `${item.event.seq}:${item.event.type}` : item.kind), ['3:position', '4:position', '5:order']);
  });

  it('keeps a local state from snapshot and deltas: closed positions and done orders leave it', async () => {
    const topic = Topics.account('demo', '3002');
    await publisher.publish([tradeEvents.position('3002', '21', 10_000, 'st-1'), tradeEvents.order('3002', '31', 'placed', 'st-2')]);
    const changes: string[] = [];
    reader.on('change', (changed) => changes.push(changed));
    const subscription = await reader.subscribe(topic, () => undefined);
    assert.deepEqual(reader.state.account('demo', '3002')?.positions.map((p) => p.position), ['21']);
    assert.deepEqual(reader.state.account('demo', '3002')?.orders.map((o) => o.order), ['31']);
    await publisher.publish([
      tradeEvents.position('3002', '22', 30_000, 'st-3'),
      tradeEvents.position('3002', '21', 0, 'st-4'),
      tradeEvents.order('3002', '32', 'placed', 'st-5'),
      tradeEvents.order('3002', '31', 'filled', 'st-6'),
      tradeEvents.order('3002', '32', 'canceled', 'st-7'),
      tradeEvents.account('3002', 7_500, 'st-8'),
    ]);
    await waitUntil(() => reader.state.position(topic)?.seq === 8, 'seq 8 applied');
    const view = reader.state.account('demo', '3002');
    assert.deepEqual(view?.positions.map((p) => [p.position, p.volume]), [['22', 30_000]]);
    assert.deepEqual(view?.orders, []);
    assert.equal(view?.account?.balance, 7_500);
    assert.equal(view?.seq, 8);
    // The same as the server's own view of the account.
    const server = await reader.rest.account('demo', '3002');
    assert.deepEqual({ positions: server.positions, orders: server.orders, account: server.account, seq: server.seq }, {
      positions: view?.positions, orders: view?.orders, account: view?.account, seq: view?.seq,
    });
    assert.ok(changes.filter((t) => t === topic).length >= 7);
    subscription.unsubscribe();
    assert.equal(await subscription.ended, undefined);
  });

  it('wildcards: a snapshot per known topic, new topics as events from seq 1; ticks, status and symbols in the state', async () => {
    await publisher.publish([tradeEvents.tick('EURUSD', 1.1), tradeEvents.tick('GBPUSD', 1.3)]);
    const items: TopicItem[] = [];
    const subscription = await reader.subscribe([Topics.allTicks('demo'), Topics.status('demo')], (item) => {
      items.push(item);
    });
    assert.deepEqual(items.map((i) => `${i.kind} ${i.topic}`).sort(), [
      'snapshot platforms/demo/status', 'snapshot platforms/demo/ticks/EURUSD', 'snapshot platforms/demo/ticks/GBPUSD',
    ]);
    assert.equal(reader.state.platformStatus('demo'), null);
    await publisher.publish([
      tradeEvents.tick('USDJPY', 150.1),
      tradeEvents.tick('EURUSD', 1.2),
      { type: 'platform.status', platformId: 'demo', data: { state: 'stale', reason: 'weekend', time: Date.now() } },
    ]);
    await waitUntil(() => items.length === 6, 'three more items');
    assert.deepEqual(items.slice(3).map((i) => i.kind === 'event' ? `${i.event.type} ${i.event.seq}` : i.kind), ['tick 1', 'tick 2', 'platform.status 1']);
    assert.equal(reader.state.tick('demo', 'EURUSD')?.bid, 1.2);
    assert.deepEqual(reader.state.ticks('demo').map((t) => t.symbol).sort(), ['EURUSD', 'GBPUSD', 'USDJPY']);
    assert.equal(reader.state.platformStatus('demo')?.state, 'stale');
    subscription.unsubscribe();
  });

  it('a second consumer of a topic starts from the local state, and neither sees an event twice', async () => {
    const topic = Topics.account('demo', '3003');
    const first: TradeEnvelope[] = [];
    const second: TopicItem[] = [];
    const one = await reader.subscribe(topic, (item) => {
      if (item.kind === 'event') first.push(item.event);
    });
    await publisher.publish([tradeEvents.deal('3003', 1, 'c-1'), tradeEvents.deal('3003', 2, 'c-2')]);
    await waitUntil(() => first.length === 2, 'two deals');
    const two = await reader.subscribe(topic, (item) => second.push(item));
    assert.deepEqual(second.map((i) => i.kind === 'snapshot' ? i.seq : i.kind), [2]);
    await publisher.publish([tradeEvents.deal('3003', 3, 'c-3')]);
    await waitUntil(() => first.length === 3 && second.length === 2, 'the third deal in both');
    one.unsubscribe();
    await publisher.publish([tradeEvents.deal('3003', 4, 'c-4')]);
    await waitUntil(() => second.length === 3, 'the fourth deal in the second');
    assert.deepEqual(first.map((e) => e.seq), [1, 2, 3]);
    assert.deepEqual(second.slice(1).map((i) => i.kind === 'event' ? i.event.seq : i.kind), [3, 4]);
    two.unsubscribe();
  });

  it('refuses topics it may not read or that are not topics, with typed errors', async () => {
    await assert.rejects(reader.subscribe('platforms/other/status', () => undefined), (error: unknown) => {
      assert.ok(error instanceof SubscriptionRefusedError);
      assert.equal(error.topic, 'platforms/other/status');
      return true;
    });
    await assert.rejects(reader.subscribe('not/a/topic', () => undefined), InvalidTopicError);
    assert.throws(() => reader.events(['platforms/demo/ticks/EURUSD', 'platforms/demo/nope']), InvalidTopicError);
    const stream = reader.events('platforms/other/margin');
    await assert.rejects(stream.next(), SubscriptionRefusedError);
    assert.deepEqual(await stream.next(), { done: true, value: undefined });
  });

  it('gives typed access to hub methods and streams, REST and JSON-RPC', async () => {
    assert.equal((await reader.serverInfo()).nodeId, hub.app.nodeId);
    assert.deepEqual((await reader.myAccess())?.scopes, ['trade.read']);
    assert.deepEqual(await reader.platforms(), [{ id: 'demo', name: 'Demo MT5 (simulated)', kind: 'mt5' }]);
    assert.equal(reader.connectionStatus?.subject, 'demo-reader');

    const published = await publisher.hub.upload('PublishStream', [1, 2, 3].map((n) => tradeEvents.deal('3004', n, `u-${n}`)));
    assert.equal(published, 3);
    const { epoch } = await reader.rest.account('demo', '3004');
    const streamed: string[] = [];
    for await (const item of reader.hub.stream('StreamTopic', Topics.account('demo', '3004'), { epoch, seq: 1 })) {
      streamed.push('status' in item && item.status === 'resumed' ? `resumed ${item.events.map((e) => e.seq).join(',')}` : 'other');
      break;
    }
    assert.deepEqual(streamed, ['resumed 2,3']);

    assert.deepEqual((await reader.rest.platforms()).map((p) => p.id), ['demo']);
    assert.equal((await reader.rest.ping('demo')).platform, 'demo');
    const rest = await publisher.rest.publish('demo', [{ type: 'deal', data: tradeEvents.deal('3004', 4, 'x').data as never }]);
    assert.equal(rest.results[0]?.seq, 4);
    const deals = await reader.rpc.call('get_positions', { platform: 'demo', login: '3004' });
    assert.deepEqual(deals, []);
    await assert.rejects(reader.rpc.call('get_symbols', { platform: 'nowhere' }), (error: unknown) => {
      assert.ok(error instanceof JsonRpcCallError);
      assert.equal(error.rpcCode, JsonRpcErrorCode.NotFound);
      return true;
    });
  });

  it('a publisher queues, batches and publishes a feed in order', async () => {
    const topic = Topics.account('demo', '3005');
    const seqs: number[] = [];
    const subscription = await reader.subscribe(topic, (item) => {
      if (item.kind === 'event') seqs.push(item.event.seq);
    });
    const feed = publisher.publisher({ maxBatch: 50, maxPending: 100 });
    for (let n = 1; n <= 500; n++) await feed.write(tradeEvents.deal('3005', n, `feed-${n}`));
    await feed.write(tradeEvents.deal('3005', 1, 'feed-1'));
    const stats = await feed.close();
    assert.deepEqual(stats, { published: 501, duplicates: 1 });
    await waitUntil(() => seqs.length === 500, '500 events');
    assert.deepEqual(seqs, Array.from({ length: 500 }, (_, i) => i + 1));
    subscription.unsubscribe();
  });

  describe('bars, depth and maxRatePerSecond', () => {
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

    it('asks the server again when another consumer of the topic wants every tick', async () => {
      const topic = Topics.ticks('demo', 'CRATE2');
      const slow: number[] = [];
      const all: number[] = [];
      const limited = await reader.subscribe(topic, (item) => {
        if (item.kind === 'event') slow.push(item.event.seq);
      }, { maxRatePerSecond: 0.1 });
      await publisher.publish([quote('CRATE2', 1.0)]);
      await waitUntil(() => slow.length === 1, 'the first tick');
      const every = await reader.subscribe(topic, (item) => {
        if (item.kind === 'event') all.push(item.event.seq);
      });
      for (let i = 1; i <= 10; i++) {
        await publisher.publish([quote('CRATE2', 1 + i / 1000)]);
        await waitUntil(() => all.includes(i + 1), `tick ${i + 1} without a rate`);
      }
      assert.deepEqual(all, Array.from({ length: 10 }, (_, i) => i + 2), 'every tick once the rate was dropped');
      limited.unsubscribe();
      every.unsubscribe();
    });
  });
});
