import assert from 'node:assert/strict';
import { Topics, type Tick, type Timeframe, type TradeEnvelope } from '@tradehub/shared';
import { recomputeBars } from './support/bar-recomputation.js';
import { ApiClient } from './support/http-api.js';
import { ev, snapshotOf, TradeClient } from './support/trade-helpers.js';
import { startTradehub, type RunningTradehub } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';

const HOUR = 3_600_000;
const TIMEFRAMES_TESTED: Timeframe[] = ['M1', 'M5', 'H1', 'D1'];

function tickEvent(tick: Tick, id?: string): Record<string, unknown> {
  return { type: 'tick', platformId: 'demo', ...(id !== undefined ? { id } : {}), data: tick };
}

describe('market data on the trade hub (bars, depth, tick rate), official client', function () {
  this.timeout(20_000);
  let hub: RunningTradehub;
  let api: ApiClient;
  let publisherToken: string;
  let readerToken: string;
  const clients: TradeClient[] = [];
  before(async () => {
    hub = await startTradehub();
    api = new ApiClient(hub.baseUrl);
    publisherToken = await api.clientToken('demo-publisher', 'demo-publisher-secret');
    readerToken = await api.clientToken('demo-reader', 'demo-reader-secret');
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.stop()));
    await hub.close();
  });

  async function connect(token: string): Promise<TradeClient> {
    const client = await TradeClient.connect(hub.tradeHubUrl, token);
    clients.push(client);
    return client;
  }

  it('builds bars from ticks (hub and REST publishes): one event per tick per timeframe topic, a snapshot equal to a recomputation, and resume', async () => {
    const publisher = await connect(publisherToken);
    const reader = await connect(readerToken);
    const symbol = 'BARS1';
    const topics = TIMEFRAMES_TESTED.map((timeframe) => Topics.bars('demo', symbol, timeframe));
    for (const topic of topics) assert.deepEqual(snapshotOf(await reader.subscribeOne(topic), 'bars').bars, []);

    // Over two hours of ticks (ending in the past), 97 seconds apart, then some out of order, a duplicate, and ticks through REST.
    const start = Date.now() - 3 * HOUR;
    const accepted: Tick[] = [];
    let bid = 1.1;
    const next = (time: number): Tick => {
      bid = Number((bid + (Math.sin(time) > 0 ? 0.0003 : -0.0002)).toFixed(5));
      return { symbol, bid, ask: bid + 0.0002, time };
    };
    for (let batch = 0; batch < 8; batch++) {
      const ticks = Array.from({ length: 10 }, (_, index) => next(start + (batch * 10 + index) * 97_000));
      await publisher.publish(ticks.map((tick) => tickEvent(tick)));
      accepted.push(...ticks);
    }
    const late = [next(start + 5 * 97_000), next(start + 79 * 97_000 - 1)];
    const withId = next(start + 80 * 97_000);
    await publisher.publish([...late.map((tick) => tickEvent(tick)), tickEvent(withId, 'bars-dup-1')]);
    accepted.push(...late, withId);
    const duplicate = await publisher.publish([tickEvent(withId, 'bars-dup-1')]);
    assert.equal(duplicate.results[0]?.duplicate, true, 'a duplicate tick makes no bars');
    const viaRest = [next(start + 81 * 97_000), next(start + 82 * 97_000)];
    const rest = await api.request('POST', '/api/platforms/demo/events', { token: publisherToken, json: { events: viaRest.map((tick) => ({ type: 'tick', data: tick })) } });
    assert.equal(rest.status, 200, rest.text);
    accepted.push(...viaRest);

    const fresh = await connect(readerToken);
    for (const [index, timeframe] of TIMEFRAMES_TESTED.entries()) {
      const topic = topics[index] as string;
      const expected = recomputeBars(accepted, timeframe);
      // Publishing resolves once the bars are stored: the topic's seq counts its bar events.
      const result = await fresh.subscribeOne(topic);
      assert.equal(result.seq, expected.counted, `${timeframe}: one bar event per counted tick`);
      assert.deepEqual(snapshotOf(result, 'bars').bars, expected.bars, `${timeframe}: snapshot = recomputation`);
      const live = await reader.waitForEvents(expected.counted, topic);
      assert.deepEqual(live.map((event) => event.seq), Array.from({ length: expected.counted }, (_, i) => i + 1), `${timeframe}: seqs`);
      const last = live.at(-1);
      assert.ok(last?.type === 'bar');
      assert.deepEqual(last.data, expected.bars.at(-1));
    }
    // The out-of-order ticks made no M1 events; the H1 bar they fell in counted them.
    assert.ok(recomputeBars(accepted, 'M1').counted < accepted.length);

    // Resume: the missed bar events are replayed from history.
    const m1 = topics[0] as string;
    const resumed = await (await connect(readerToken)).subscribeOne(m1, { [m1]: { epoch: (await fresh.subscribeOne(m1)).epoch, seq: 3 } });
    assert.equal(resumed.status, 'resumed');
    assert.ok(resumed.status === 'resumed');
    assert.deepEqual(resumed.events.map((event) => event.seq)[0], 4);
    assert.equal(resumed.events.length, recomputeBars(accepted, 'M1').counted - 3);
  });

  it('refuses a bar from a publisher, and bars topics that are wildcards or name an unknown timeframe', async () => {
    const publisher = await connect(publisherToken);
    const bar = { symbol: 'EURUSD', timeframe: 'M1', time: 0, open: 1, high: 1, low: 1, close: 1, tickVolume: 1 };
    await assert.rejects(publisher.publish([{ type: 'bar', platformId: 'demo', data: bar }]), /Invalid events: event 0/);
    const reader = await connect(readerToken);
    const results = await reader.subscribe(['platforms/demo/bars/*', 'platforms/demo/bars/EURUSD/M2', 'platforms/demo/bars/EURUSD', 'platforms/demo/bars/EURUSD/M1/x']);
    for (const result of results) assert.equal(result.status, 'error', JSON.stringify(result));
  });

  it('depth: the snapshot is the last full book and every depth event replaces it; readers cannot publish it', async () => {
    const publisher = await connect(publisherToken);
    const reader = await connect(readerToken);
    const topic = Topics.depth('demo', 'DEPTH1');
    await publisher.publish([ev.depth('DEPTH1', 1.1)]);
    const first = snapshotOf(await reader.subscribeOne(topic), 'depth').depth;
    assert.deepEqual(first, ev.depth('DEPTH1', 1.1).data);
    const update = { ...ev.depth('DEPTH1', 1.2), data: { ...ev.depth('DEPTH1', 1.2).data, asks: [] } };
    await publisher.publish([update]);
    const [event] = await reader.waitForEvents(1, topic);
    assert.ok(event?.type === 'depth');
    assert.deepEqual(event.data, update.data);
    assert.deepEqual(snapshotOf(await (await connect(readerToken)).subscribeOne(topic), 'depth').depth, update.data);
    await assert.rejects(reader.publish([ev.depth('DEPTH1', 1.3)]), /unauthorized/);
    const tooDeep = { ...ev.depth('DEPTH1', 1), data: { ...ev.depth('DEPTH1', 1).data, bids: Array.from({ length: 101 }, () => ({ price: 1, volume: 1 })) } };
    await assert.rejects(publisher.publish([tooDeep]), /Invalid events: event 0 \(data\.bids\)/);
  });

  it('maxRatePerSecond: ticks conflated to at most that rate for that subscriber, the newest last; other events and subscribers get everything', async () => {
    const publisher = await connect(publisherToken);
    const limited = await connect(readerToken);
    const unlimited = await connect(readerToken);
    const ticks = Topics.ticks('demo', 'RATE1');
    const account = Topics.account('demo', '7001');
    const [rated] = await limited.connection.invoke('Subscribe', [ticks], null, { maxRatePerSecond: 4 }) as Array<{ status: string }>;
    assert.equal(rated?.status, 'snapshot');
    await limited.subscribeOne(account);
    await unlimited.subscribeOne(ticks);
    const started = Date.now();
    const count = 60;
    for (let i = 1; i <= count; i++) {
      await publisher.publish([ev.tick('RATE1', 1 + i / 10_000), ev.deal('7001', String(i))]);
      // Paced by delivery: each tick reached the subscriber without a rate before the next is published.
      await unlimited.waitForEvents(i, ticks);
    }
    await limited.waitForEvents(count, account);
    // The trailing delivery: the newest tick arrives, however soon after the one before it was published.
    await waitUntil(() => limited.eventsOf(ticks).at(-1)?.seq === count, 'the newest tick (seq 60) at the rate-limited subscriber');
    const elapsedSeconds = (Date.now() - started) / 1000;
    const delivered = limited.eventsOf(ticks);
    assert.ok(delivered.length <= Math.ceil(elapsedSeconds * 4) + 1, `${delivered.length} ticks in ${elapsedSeconds} s at 4 per second`);
    assert.ok(delivered.length < count, 'ticks were conflated');
    assert.ok(delivered.every((event, index) => index === 0 || event.seq > (delivered[index - 1] as TradeEnvelope).seq), 'in seq order');
    assert.deepEqual(limited.eventsOf(account).map((event) => event.seq), Array.from({ length: count }, (_, i) => i + 1), 'every deal, in order');
    // Bad options are refused by the binder.
    for (const options of [{ maxRatePerSecond: 0 }, { maxRatePerSecond: 5000 }, { maxRatePerSecond: 'x' }, { other: 1 }]) {
      await assert.rejects(limited.connection.invoke('Subscribe', [ticks], null, options), /Error binding arguments/);
    }
  });
});
