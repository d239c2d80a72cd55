import assert from 'node:assert/strict';
import { ConsumerTooSlowError, Topics, type TopicItem, type TradehubClient } from '@tradehub/client';
import { ClientPool, PUBLISHER, READER, tradeEvents } from './support/client-fixtures.js';
import { waitUntil } from './support/wait.js';
import { startTradehub, type RunningTradehub } from './support/tradehub-app.js';

describe('client: bounded event streams', function () {
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

  it('conflates ticks for a slow reader: newest per symbol wins, nothing else is lost, no error', async () => {
    const symbols = ['AUDUSD', 'NZDUSD', 'USDCAD'];
    const stream = reader.events(symbols.map((symbol) => Topics.ticks('demo', symbol)), { bufferSize: 5 });
    const first = await stream.next();
    assert.equal(first.value?.kind, 'snapshot');
    await waitUntil(() => stream.started, 'the subscription');
    // 300 ticks while nobody reads: far more than the buffer holds.
    for (let n = 1; n <= 100; n++) await publisher.publish(symbols.map((symbol, i) => tradeEvents.tick(symbol, i + n / 1000)));
    await waitUntil(() => reader.state.tick('demo', 'USDCAD')?.bid === 2 + 100 / 1000, 'the last tick in the state');
    // Waiting: the two other snapshots, then one tick per symbol, the latest (the buffer holds 5).
    const read: TopicItem[] = [];
    while (read.length < 5) {
      const next = await stream.next();
      if (next.done) break;
      read.push(next.value);
    }
    await stream.return();
    assert.deepEqual(read.map((item) => item.kind), ['snapshot', 'snapshot', 'event', 'event', 'event']);
    for (const item of read.slice(2)) {
      assert.ok(item.kind === 'event' && item.event.type === 'tick');
      const index = symbols.indexOf(item.event.data.symbol);
      assert.equal(item.event.data.bid, index + 100 / 1000, 'the newest tick of its symbol');
      assert.equal(item.event.seq, 100);
    }
    assert.deepEqual(await stream.next(), { done: true, value: undefined });
  });

  it('ends with ConsumerTooSlowError when non-tick events overflow, after what it buffered, saying where it stopped', async () => {
    const topic = Topics.account('demo', '6001');
    const stream = reader.events(topic, { bufferSize: 10 });
    const first = await stream.next();
    assert.equal(first.value?.kind, 'snapshot');
    await publisher.publish(Array.from({ length: 30 }, (_, i) => tradeEvents.deal('6001', i + 1, `slow-${i + 1}`)));
    // The 11th event does not fit: the stream leaves the topic, which the client then forgets.
    await waitUntil(() => reader.state.position(topic) === undefined, 'the overflow');
    const seqs: number[] = [];
    let failure: unknown;
    try {
      for (;;) {
        const next = await stream.next();
        if (next.done) break;
        if (next.value.kind === 'event') seqs.push(next.value.event.seq);
      }
    } catch (error) {
      failure = error;
    }
    assert.deepEqual(seqs, Array.from({ length: 10 }, (_, i) => i + 1), 'every buffered event, none dropped silently');
    assert.ok(failure instanceof ConsumerTooSlowError, String(failure));
    assert.equal(failure.bufferSize, 10);
    assert.deepEqual(failure.positions[topic]?.seq, 10);
    assert.deepEqual(await stream.next(), { done: true, value: undefined });
  });

  it('counts ticks like any event when conflation is off', async () => {
    const stream = reader.events(Topics.ticks('demo', 'XAUUSD'), { bufferSize: 5, conflateTicks: false });
    await stream.next();
    for (let n = 1; n <= 10; n++) await publisher.publish([tradeEvents.tick('XAUUSD', 2000 + n)]);
    await waitUntil(() => reader.state.tick('demo', 'XAUUSD') === undefined, 'the stream to end and leave the topic');
    const bids: number[] = [];
    await assert.rejects((async () => {
      for await (const item of stream) if (item.kind === 'event' && item.event.type === 'tick') bids.push(item.event.data.bid);
    })(), ConsumerTooSlowError);
    assert.deepEqual(bids, [2001, 2002, 2003, 2004, 2005]);
  });
});
