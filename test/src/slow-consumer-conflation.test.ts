import assert from 'node:assert/strict';
import { Topics, type TopicItem, type TradeEventInput, type TradehubClient } from '@tradehub/client';
import { ClientPool, PUBLISHER, READER, tradeEvents } from './support/client-fixtures.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { clientToken, startTradehub, type RunningTradehub } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';
import { DeliveryLedger, type ReaderLog } from './faults/support/delivery-ledger.js';
import { RawTradeReader } from './faults/support/raw-trade-reader.js';

const KiB = 1024;
/** Small limits, so that a reader that stops reading is congested, then over its budget, quickly. */
const CONFLATION_BYTES = 16 * KiB;
const BUDGET_BYTES = 256 * KiB;
const SYMBOLS = ['EURUSD', 'GBPUSD', 'USDJPY'];
const TICK_TOPICS = SYMBOLS.map((symbol) => Topics.ticks('demo', symbol));
const DEALS = Topics.account('demo', '5001');
/** The heavy topic that fills a reader's kernel buffers: platform status events with long reasons (~700 bytes each). */
const STATUS = Topics.status('demo');
const TOPICS = [...TICK_TOPICS, DEALS, STATUS];
/** Status events at most to fill the loopback's kernel buffers (a few MB), under the history length (10,000). */
const MAX_FILL = 8_000;
/** Ticks per symbol while the reader is paused: 3 x 1,000 ticks, about 3 times the budget. */
const TICKS_PER_SYMBOL = 1_000;

function statusEvent(n: number): TradeEventInput {
  return { type: 'platform.status', platformId: 'demo', data: { state: 'connected', reason: `${n} `.padEnd(480, 'x'), time: Date.now() } };
}

function tickEvent(symbol: string, n: number): TradeEventInput {
  return { type: 'tick', platformId: 'demo', data: { symbol, bid: 1 + n / 100_000, ask: 1.0002 + n / 100_000, time: Date.now() } };
}

const idOf = (prefix: string, n: number): string => `${prefix}-${n}`;

describe('slow consumers: ticks conflated to the latest per symbol, other events never dropped', function () {
  this.timeout(60_000);
  let hub: RunningTradehub;
  const pool = new ClientPool();
  let publisher: TradehubClient;
  const raw: RawTradeReader[] = [];
  const proxies: TcpProxy[] = [];
  /** Seqs the hub answered the publisher with, per topic, in publish order. */
  let stored: Map<string, number[]>;
  let fill: number;

  beforeEach(async () => {
    hub = await startTradehub({
      config: (config) => ({ ...config, limits: { ...config.limits, tickConflationBytes: CONFLATION_BYTES } }),
      hubOptions: { maximumBufferedBytesPerClient: BUDGET_BYTES, statefulReconnectBufferBytes: BUDGET_BYTES },
    });
    // Without stateful reconnect: the only stateful connection of a test is its reader's.
    publisher = await pool.connect({ url: hub.baseUrl, credentials: PUBLISHER, statefulReconnect: false });
    stored = new Map(TOPICS.map((topic) => [topic, []]));
    fill = 0;
  });
  afterEach(async () => {
    for (const reader of raw.splice(0)) reader.close();
    await pool.closeAll();
    for (const proxy of proxies.splice(0)) await proxy.close();
    await hub.close();
  });

  async function publish(events: TradeEventInput[]): Promise<void> {
    const answer = await publisher.publish(events);
    for (const result of answer.results) stored.get(result.topic)?.push(result.seq);
  }

  async function openSlowReader(log: ReaderLog): Promise<RawTradeReader> {
    const token = await clientToken(hub.baseUrl, READER.clientId, READER.clientSecret);
    const reader = await RawTradeReader.open(hub.tradeHubUrl, token, log);
    raw.push(reader);
    return reader;
  }

  function connectionOf(reader: RawTradeReader): { bufferedBytes: number } | undefined {
    return [...hub.app.tradeHub.connections.all()].find((connection) => connection.connectionId === reader.connectionId);
  }

  /** Publishes status events until the paused reader's connection has more than the conflation threshold waiting. */
  async function congest(reader: RawTradeReader): Promise<number> {
    for (;;) {
      const connection = connectionOf(reader);
      assert.ok(connection, 'the paused reader is still connected while its buffers fill');
      if (connection.bufferedBytes > CONFLATION_BYTES) return connection.bufferedBytes;
      if (fill >= MAX_FILL) throw new Error(`nothing waited for the paused reader after ${fill} status events`);
      await publish(Array.from({ length: 40 }, (_, i) => statusEvent(fill + i + 1)));
      fill += 40;
    }
  }

  /**
   * 1,000 ticks per symbol and 100 deals, 10 ticks per symbol and a deal per call (under the hub's
   * message size, and small bursts for readers that keep up). `check` runs after each call.
   */
  async function publishTicksAndDeals(check: () => void): Promise<number> {
    let deals = 0;
    for (let round = 0; round < TICKS_PER_SYMBOL; round += 10) {
      const ticks = Array.from({ length: 10 }, (_, i) => SYMBOLS.map((symbol) => tickEvent(symbol, round + i + 1))).flat();
      deals++;
      await publish([...ticks, tradeEvents.deal('5001', deals, idOf('conflation-deal', deals))]);
      check();
    }
    return deals;
  }

  async function conflatedTotal(): Promise<number> {
    return (await hub.app.metrics.ticksConflated.get()).values[0]?.value ?? 0;
  }

  it('a paused reader is held one tick per symbol, outlives ticks worth 3 times its budget, and gets every deal and the latest ticks', async () => {
    const ledger = new DeliveryLedger();
    const slowLog = ledger.reader('slow', TOPICS);
    const slow = await openSlowReader(slowLog);
    await slow.subscribe(TOPICS);
    // An honest reader beside it: it must get every tick.
    // Without stateful reconnect, which acknowledges once a second: judged by what waits on its socket only.
    const honest = await pool.connect({ url: hub.baseUrl, credentials: READER, statefulReconnect: false });
    const honestItems: TopicItem[] = [];
    await honest.subscribe(TOPICS, (item) => honestItems.push(item));

    slow.raw.socket.pause();
    const bufferedBefore = await congest(slow);
    let maxBuffered = bufferedBefore;
    const deals = await publishTicksAndDeals(() => {
      const connection = connectionOf(slow);
      assert.ok(connection, 'the paused reader is still connected');
      maxBuffered = Math.max(maxBuffered, connection.bufferedBytes);
      assert.ok(hub.app.trade.conflation.holdingConnections <= 1, 'only the paused reader holds ticks');
    });
    const conflatedWhilePaused = await conflatedTotal();

    // The honest reader got everything, each tick included.
    const honestSeqs = (topic: string): number[] => honestItems.flatMap((item) => (item.kind === 'event' && item.topic === topic ? [item.event.seq] : []));
    await waitUntil(() => TOPICS.every((topic) => honestSeqs(topic).length === stored.get(topic)?.length),
      () => `the honest reader has every event (${TOPICS.map((topic) => `${topic}: ${honestSeqs(topic).length}/${stored.get(topic)?.length}`).join(', ')})`, 20_000);
    for (const topic of TOPICS) assert.deepEqual(honestSeqs(topic), stored.get(topic), `the honest reader's ${topic}`);

    slow.raw.socket.resume();
    const head = (topic: string): number => stored.get(topic)?.at(-1) ?? 0;
    await slow.readWhile(() => TOPICS.some((topic) => slowLog.lastSeq(topic) < head(topic)), 20_000);

    // Every deal and status event, in order; each ticks topic in seq order up to its latest, most conflated away.
    assert.deepEqual(slowLog.seqsOf(DEALS), stored.get(DEALS));
    assert.deepEqual(slowLog.seqsOf(STATUS), stored.get(STATUS));
    let ticksReceived = 0;
    for (const topic of TICK_TOPICS) {
      const seqs = slowLog.seqsOf(topic);
      assert.equal(seqs.at(-1), head(topic), `the latest tick of ${topic}`);
      assert.ok(seqs.every((seq, i) => i === 0 || seq > (seqs[i - 1] as number)), `${topic} in seq order: ${seqs.join(',')}`);
      assert.ok(seqs.length < TICKS_PER_SYMBOL / 10, `${topic}: ${seqs.length} ticks reached the paused reader`);
      ticksReceived += seqs.length;
    }
    // Every tick the paused reader did not get was conflated (counted), none lost otherwise; the honest reader none.
    assert.equal(await conflatedTotal(), SYMBOLS.length * TICKS_PER_SYMBOL - ticksReceived);
    const exposed = await (await fetch(`${hub.baseUrl}/metrics`)).text();
    assert.match(exposed, new RegExp(`^tradehub_ticks_conflated_total ${SYMBOLS.length * TICKS_PER_SYMBOL - ticksReceived}$`, 'm'));
    assert.ok(conflatedWhilePaused >= SYMBOLS.length * (TICKS_PER_SYMBOL - 1), `${conflatedWhilePaused} ticks conflated while paused`);
    // While paused, what waited grew by the deals only (~450 bytes each), not by 3,000 ticks (~250 bytes each).
    assert.ok(maxBuffered - bufferedBefore < deals * 1024 + 4 * KiB, `${maxBuffered - bufferedBefore} bytes more waited while ticks were published`);
    assert.equal(hub.app.trade.conflation.holdingConnections, 0, 'nothing held once the reader caught up');
    console.log(`[conflation] ${fill} status events to congest the paused reader (${Math.round(bufferedBefore / KiB)} KiB waiting); `
      + `then ${SYMBOLS.length * TICKS_PER_SYMBOL} ticks and ${deals} deals: +${Math.round((maxBuffered - bufferedBefore) / KiB)} KiB waiting, `
      + `${ticksReceived} ticks delivered to it, ${SYMBOLS.length * TICKS_PER_SYMBOL - ticksReceived} conflated`);
  });

  it('a paused reader past its budget with other events is closed (reconnect allowed), and resumes by seq without loss', async () => {
    const ledger = new DeliveryLedger();
    const slowLog = ledger.reader('slow', TOPICS);
    const slow = await openSlowReader(slowLog);
    await slow.subscribe(TOPICS);
    slow.raw.socket.pause();
    await congest(slow);
    let round = 0;
    // Ticks (conflated, never closing it) and deals and status events (never dropped), until the connection is closed.
    while (connectionOf(slow)) {
      if (fill >= MAX_FILL) throw new Error(`the paused reader was still connected after ${fill} status events`);
      round++;
      await publish([
        ...SYMBOLS.map((symbol) => tickEvent(symbol, round)),
        tradeEvents.deal('5001', round, idOf('budget-deal', round)),
        ...Array.from({ length: 20 }, (_, i) => statusEvent(fill + i + 1)),
      ]);
      fill += 20;
      assert.ok(hub.app.trade.conflation.holdingConnections <= 1);
    }
    assert.ok(round > 1, 'the reader was closed by the events past its budget, not by the first call');
    const limitHits = await hub.app.metrics.limitRejections.get();
    assert.equal(limitHits.values.find((value) => value.labels.limit === 'outbound_buffer')?.value, 1);
    // Nothing held for a connection that is gone.
    await waitUntil(() => hub.app.trade.conflation.holdingConnections === 0, 'the closed connection to hold nothing', 5_000);

    slow.raw.socket.resume();
    const close = await slow.readUntilClose(20_000);
    assert.deepEqual(close, { type: 7, error: 'The client did not read its messages fast enough.', allowReconnect: true });

    // Reconnect allowed: a new connection resumes every topic from the last (epoch, seq) read.
    const again = await openSlowReader(slowLog);
    for (const [topic, position] of slow.positions) again.positions.set(topic, position);
    const resumed = await again.subscribe(TOPICS);
    assert.deepEqual(resumed.map((result) => result.status), TOPICS.map(() => 'resumed'));
    const head = (topic: string): number => stored.get(topic)?.at(-1) ?? 0;
    await again.readWhile(() => TOPICS.some((topic) => slowLog.lastSeq(topic) < head(topic)), 20_000);
    for (const topic of [DEALS, STATUS]) assert.deepEqual(slowLog.seqsOf(topic), stored.get(topic), `every event of ${topic}, once, in order`);
    for (const topic of TICK_TOPICS) {
      const seqs = slowLog.seqsOf(topic);
      assert.ok(seqs.every((seq, i) => i === 0 || seq > (seqs[i - 1] as number)), `${topic} in seq order`);
      assert.equal(seqs.at(-1), head(topic));
    }
  });

  it('a typed client (stateful reconnect) that receives nothing is held ticks by what it has not acknowledged, instead of being disconnected', async () => {
    const proxy = await TcpProxy.start(Number(new URL(hub.baseUrl).port));
    proxies.push(proxy);
    const reader = await pool.connect({ url: `http://127.0.0.1:${proxy.port}`, credentials: READER });
    const items: TopicItem[] = [];
    const topics = [...TICK_TOPICS, DEALS];
    await reader.subscribe(topics, (item) => items.push(item));
    const connections = (): string[] => [...hub.app.tradeHub.connections.all()].map((connection) => connection.connectionId).sort();
    const connectedBefore = connections();
    assert.equal(connectedBefore.length, 2, 'the publisher and the reader');
    const transports = proxy.accepted;

    // Its socket takes everything (the proxy reads it), but nothing reaches the client, which acknowledges nothing.
    proxy.stall();
    // Without conflation, 3,000 ticks (~250 bytes each) would overflow its 256 KiB stateful buffer and close it.
    await publishTicksAndDeals(() => assert.deepEqual(connections(), connectedBefore, 'the stalled reader is still connected'));
    const conflatedWhileStalled = await conflatedTotal();
    assert.ok(conflatedWhileStalled > SYMBOLS.length * TICKS_PER_SYMBOL / 2, `${conflatedWhileStalled} ticks conflated while stalled`);

    proxy.unstall();
    const head = (topic: string): number => stored.get(topic)?.at(-1) ?? 0;
    const seqsOf = (topic: string): number[] => items.flatMap((item) => (item.kind === 'event' && item.topic === topic ? [item.event.seq] : []));
    // Once it acknowledges (about once a second), the held ticks follow.
    await waitUntil(() => topics.every((topic) => seqsOf(topic).at(-1) === head(topic)),
      () => `the reader at the head of every topic (${topics.map((topic) => `${seqsOf(topic).at(-1)}/${head(topic)}`).join(', ')})`, 20_000);
    assert.deepEqual(seqsOf(DEALS), stored.get(DEALS), 'every deal, once, in order');
    for (const topic of TICK_TOPICS) {
      const seqs = seqsOf(topic);
      assert.ok(seqs.every((seq, i) => i === 0 || seq > (seqs[i - 1] as number)), `${topic} in seq order`);
      assert.ok(seqs.length < TICKS_PER_SYMBOL, `${topic}: conflated (${seqs.length} ticks)`);
    }
    assert.deepEqual(items.filter((item) => item.kind === 'reset'), [], 'no topic started over: tick gaps are not loss');
    assert.equal(reader.state.tick('demo', 'USDJPY')?.bid, 1 + TICKS_PER_SYMBOL / 100_000, 'the latest tick is the state');
    assert.equal(proxy.accepted, transports, 'the same transport all along: never disconnected');
    await waitUntil(() => hub.app.trade.conflation.holdingConnections === 0, 'nothing held once the reader caught up', 5_000);
  });
});
