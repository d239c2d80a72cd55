import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  barOpenTime, BarBuilder, InMemoryTradeBroker, nextBar, type AcceptedTick, type BarSeriesLimits, type BarStore, type ExpectedPosition,
} from '@tradehub/server';
import { TIMEFRAMES, Topics, type Bar, type BarEventInput, type Tick, type Timeframe, type TopicPosition } from '@tradehub/shared';
import { recomputeBars } from './support/bar-recomputation.js';

/** 2026-01-01T00:00:00Z plus a bit: a Thursday, on no bar boundary of any timeframe but D1's day. */
const BASE = Date.UTC(2026, 0, 1, 10, 7, 30, 250);

function tick(time: number, bid: number, symbol = 'EURUSD'): Tick {
  return { symbol, bid, ask: bid + 0.0002, time };
}

interface SeriesEntry {
  position: TopicPosition;
  bars: Map<number, Bar>;
  writer?: string;
}

/**
 * A bar store as the brokers keep bars (a position per topic, bars by time), shared by the
 * builders of a test as Redis is by nodes. Records every stored bar event in order.
 */
class FakeBarStore implements BarStore {
  readonly topics = new Map<string, SeriesEntry>();
  readonly stored: BarEventInput[] = [];
  loads = 0;

  async current(topic: string): Promise<{ bar: Bar | undefined; position: TopicPosition }> {
    return this.currentNow(topic);
  }

  currentNow(topic: string): { bar: Bar | undefined; position: TopicPosition } {
    this.loads++;
    const entry = this.entry(topic);
    const last = [...entry.bars.keys()].sort((a, b) => a - b).at(-1);
    return { bar: last === undefined ? undefined : entry.bars.get(last), position: { ...entry.position } };
  }

  async storeIfAt(event: BarEventInput, expected: ExpectedPosition): Promise<TopicPosition | undefined> {
    return this.storeNow(event, expected);
  }

  /** The compare-and-set as the brokers do it (position, then the last writer when asked). */
  storeNow(event: BarEventInput, expected: ExpectedPosition): TopicPosition | undefined {
    const entry = this.entry(Topics.bars(event.platformId, event.data.symbol, event.data.timeframe));
    if (entry.position.epoch !== expected.epoch || entry.position.seq !== expected.seq) return undefined;
    if (expected.afterOwnWrite && entry.writer !== expected.writer) return undefined;
    entry.writer = expected.writer;
    entry.position = { epoch: entry.position.epoch, seq: entry.position.seq + 1 };
    entry.bars.set(event.data.time, event.data);
    this.stored.push(event);
    return { ...entry.position };
  }

  bars(topic: string): Bar[] {
    return [...this.entry(topic).bars.values()].sort((a, b) => a.time - b.time);
  }

  private entry(topic: string): SeriesEntry {
    let entry = this.topics.get(topic);
    if (!entry) this.topics.set(topic, (entry = { position: { epoch: 'e1', seq: 0 }, bars: new Map() }));
    return entry;
  }
}

function builder(store: BarStore, now: () => number, maxSeries = 1000, limits: Partial<BarSeriesLimits> = {}): BarBuilder {
  return new BarBuilder({ maxSeries, futureToleranceMs: 60_000, now, ...limits }, store);
}

/**
 * One node's connection to a shared FakeBarStore, as a node's to Redis: operations apply in the
 * order sent, each when the test steps it (answered at once). Lets a test interleave nodes.
 */
class NodeLink implements BarStore {
  private readonly queue: Array<() => void> = [];
  /** The most operations that were ever sent and not yet applied. */
  mostWaiting = 0;
  /** Makes the n-th store (1-based) fail without being applied, as a broker that went away. */
  failStore: number | undefined;
  private stores = 0;

  constructor(private readonly shared: FakeBarStore) {}

  current(topic: string): Promise<{ bar: Bar | undefined; position: TopicPosition }> {
    return this.send(() => this.shared.currentNow(topic));
  }

  storeIfAt(event: BarEventInput, expected: ExpectedPosition): Promise<TopicPosition | undefined> {
    const number = ++this.stores;
    if (number === this.failStore) return this.send(() => { throw new Error('The event store is unreachable (test).'); });
    return this.send(() => this.shared.storeNow(event, expected));
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** Applies the oldest operation sent; false when none waits. */
  step(): boolean {
    const next = this.queue.shift();
    next?.();
    return next !== undefined;
  }

  private send<T>(operation: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push(() => {
        try {
          resolve(operation());
        } catch (error) {
          reject(error as Error);
        }
      });
      this.mostWaiting = Math.max(this.mostWaiting, this.queue.length);
    });
  }
}

/** Lets every reaction to answered operations run (they send the next operations). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Steps the links until none has anything waiting, choosing the next link by `choices` (cycled). */
async function drain(links: readonly NodeLink[], choices: readonly number[] = [0]): Promise<void> {
  await settle();
  for (let step = 0; ; step++) {
    const ready = links.filter((link) => link.waiting > 0);
    if (ready.length === 0) return;
    ready[(choices[step % choices.length] ?? 0) % ready.length]!.step();
    await settle();
  }
}

/** The M1..D1 bar events stored for a symbol and timeframe, in store order. */
function storedBars(store: FakeBarStore, symbol: string, timeframe: Timeframe): Bar[] {
  return store.stored.filter((event) => event.data.symbol === symbol && event.data.timeframe === timeframe).map((event) => event.data);
}

describe('bars built from ticks', () => {
  describe('the rule (pure)', () => {
    it('aligns bars to the timeframe in UTC', () => {
      assert.equal(barOpenTime(BASE, 'M1'), Date.UTC(2026, 0, 1, 10, 7));
      assert.equal(barOpenTime(BASE, 'M5'), Date.UTC(2026, 0, 1, 10, 5));
      assert.equal(barOpenTime(BASE, 'M15'), Date.UTC(2026, 0, 1, 10, 0));
      assert.equal(barOpenTime(BASE, 'H1'), Date.UTC(2026, 0, 1, 10, 0));
      assert.equal(barOpenTime(BASE, 'D1'), Date.UTC(2026, 0, 1));
      assert.equal(barOpenTime(Date.UTC(2026, 0, 1, 10, 8), 'M1'), Date.UTC(2026, 0, 1, 10, 8), 'a tick on the boundary opens the new bar');
    });

    it('opens a bar from the bid, widens and closes it, opens the next one, and ignores a tick older than the current bar', () => {
      const opened = nextBar(undefined, tick(BASE, 1.1), 'M1');
      assert.deepEqual(opened, { symbol: 'EURUSD', timeframe: 'M1', time: barOpenTime(BASE, 'M1'), open: 1.1, high: 1.1, low: 1.1, close: 1.1, tickVolume: 1 });
      const up = nextBar(opened, tick(BASE + 1000, 1.3), 'M1');
      const down = nextBar(up, tick(BASE + 2000, 1.0), 'M1');
      assert.deepEqual(down, { ...opened, high: 1.3, low: 1.0, close: 1.0, tickVolume: 3 });
      // Within the period, an earlier source time still counts: close follows the order ticks were accepted in.
      assert.deepEqual(nextBar(down, tick(BASE - 10_000, 1.2), 'M1'), { ...down, close: 1.2, tickVolume: 4 });
      const next = nextBar(down, tick(BASE + 60_000, 1.25), 'M1');
      assert.deepEqual(next, { ...opened, time: opened!.time + 60_000, open: 1.25, high: 1.25, low: 1.25, close: 1.25 });
      assert.equal(nextBar(next, tick(BASE, 9), 'M1'), undefined, 'an out-of-order tick leaves the final bar as it was');
      // The same late tick still falls in the current bar of a longer timeframe.
      const hour = nextBar(nextBar(undefined, tick(BASE + 60_000, 1.25), 'H1'), tick(BASE, 9), 'H1');
      assert.equal(hour?.high, 9);
      assert.equal(hour?.tickVolume, 2);
    });
  });

  describe('the builder (injected clock, fake store)', () => {
    const now = (): number => BASE + 1000;

    it('stores exactly one bar event per tick and timeframe, in order', async () => {
      const store = new FakeBarStore();
      const bars = builder(store, now);
      await bars.build([{ platformId: 'demo', tick: tick(BASE, 1.1) }, { platformId: 'demo', tick: tick(BASE + 500, 1.2) }]);
      assert.equal(store.stored.length, 2 * TIMEFRAMES.length);
      for (const timeframe of TIMEFRAMES) {
        const events = store.stored.filter((event) => event.data.timeframe === timeframe);
        assert.deepEqual(events.map((event) => [event.data.close, event.data.tickVolume]), [[1.1, 1], [1.2, 2]], timeframe);
      }
    });

    it('makes no bars of a tick further ahead of the clock than the tolerance, nor of an out-of-order tick', async () => {
      const store = new FakeBarStore();
      const bars = builder(store, now);
      await bars.build([{ platformId: 'demo', tick: tick(BASE + 1000 + 60_001, 5) }]);
      assert.equal(store.stored.length, 0);
      await bars.build([{ platformId: 'demo', tick: tick(BASE, 1.1) }, { platformId: 'demo', tick: tick(BASE - 3_600_000, 1.2) }]);
      // The second tick is an hour older: before the current M1, M5, M15 and H1 bars, within the D1 bar.
      assert.deepEqual(store.stored.map((event) => event.data.timeframe), [...TIMEFRAMES, 'D1']);
    });

    it('continues a series it dropped (past maxSeries) from the store', async () => {
      const store = new FakeBarStore();
      const bars = builder(store, now, 5);
      await bars.build([{ platformId: 'demo', tick: tick(BASE, 1.1) }]);
      await bars.build([{ platformId: 'demo', tick: tick(BASE, 2.1, 'GBPUSD') }]);
      const loads = store.loads;
      await bars.build([{ platformId: 'demo', tick: tick(BASE + 1, 1.3) }]);
      assert.ok(store.loads > loads, 'the dropped series were read back');
      assert.deepEqual(store.bars(Topics.bars('demo', 'EURUSD', 'M1')).map((bar) => [bar.open, bar.close, bar.tickVolume]), [[1.1, 1.3, 2]]);
    });

    it('applies overlapping calls in the order they were made, symbol by symbol', async () => {
      const store = new FakeBarStore();
      const bars = builder(store, now);
      await Promise.all([
        bars.build([{ platformId: 'demo', tick: tick(BASE, 1.1) }, { platformId: 'demo', tick: tick(BASE, 2.1, 'GBPUSD') }]),
        bars.build([{ platformId: 'demo', tick: tick(BASE + 1, 1.2) }]),
        bars.build([{ platformId: 'demo', tick: tick(BASE + 2, 1.3) }, { platformId: 'demo', tick: tick(BASE + 2, 2.2, 'GBPUSD') }]),
      ]);
      const closes = (symbol: string): number[] => store.stored.filter((event) => event.data.symbol === symbol && event.data.timeframe === 'M1').map((event) => event.data.close);
      assert.deepEqual(closes('EURUSD'), [1.1, 1.2, 1.3]);
      assert.deepEqual(closes('GBPUSD'), [2.1, 2.2]);
    });

    it('builds on what another node stored meanwhile (compare-and-set on the topic position)', async () => {
      const store = new FakeBarStore();
      const nodeA = builder(store, now);
      const nodeB = builder(store, now);
      await nodeA.build([{ platformId: 'demo', tick: tick(BASE, 1.1) }]);
      await nodeB.build([{ platformId: 'demo', tick: tick(BASE + 1, 1.5) }]);
      await nodeA.build([{ platformId: 'demo', tick: tick(BASE + 2, 1.0) }]);
      assert.deepEqual(store.bars(Topics.bars('demo', 'EURUSD', 'M1')), [
        { symbol: 'EURUSD', timeframe: 'M1', time: barOpenTime(BASE, 'M1'), open: 1.1, high: 1.5, low: 1.0, close: 1.0, tickVolume: 3 },
      ]);
    });
  });

  describe('pipelined stores (a link to the store that answers when the test says)', () => {
    const now = (): number => BASE + 1000;

    it('sends a series\' stores without waiting for each answer, and stores exactly what one at a time would', async () => {
      const store = new FakeBarStore();
      const link = new NodeLink(store);
      const bars = builder(link, now);
      const bids = [1.1, 1.3, 1.0, 1.2, 1.25, 1.05];
      const built = bids.map((bid, index) => bars.build([{ platformId: 'demo', tick: tick(BASE + index * 100, bid) }]));
      await drain([link]);
      await Promise.all(built);
      assert.ok(link.mostWaiting > TIMEFRAMES.length * 2, `stores were pipelined (at most ${link.mostWaiting} waiting)`);
      const expected = recomputeBars(bids.map((bid, index) => tick(BASE + index * 100, bid)), 'M1');
      assert.deepEqual(store.bars(Topics.bars('demo', 'EURUSD', 'M1')), expected.bars);
      assert.deepEqual(storedBars(store, 'EURUSD', 'M1').map((bar) => [bar.close, bar.tickVolume]), bids.map((bid, index) => [bid, index + 1]));
    });

    it('never lands a pipelined store after another node\'s bar that brought the topic to the seq it expected', async () => {
      const store = new FakeBarStore();
      const [linkA, linkB] = [new NodeLink(store), new NodeLink(store)];
      const [nodeA, nodeB] = [builder(linkA, now), builder(linkB, now)];
      const builtA = [nodeA.build([{ platformId: 'demo', tick: tick(BASE + 1, 1.1) }]), nodeA.build([{ platformId: 'demo', tick: tick(BASE + 2, 1.2) }])];
      await settle();
      // A reads its five series, then sends two stores per series: at seq 0, and at seq 1 after its own.
      for (let read = 0; read < TIMEFRAMES.length; read++) linkA.step();
      await settle();
      assert.equal(linkA.waiting, 2 * TIMEFRAMES.length);
      // B reads and stores first: each topic is now at seq 1, by B.
      const builtB = nodeB.build([{ platformId: 'demo', tick: tick(BASE + 3, 1.5) }]);
      await drain([linkB]);
      await builtB;
      // A's first stores are refused (seq), and its second ones, expecting seq 1 as their own continuation, too.
      await drain([linkA]);
      await Promise.all(builtA);
      for (const timeframe of TIMEFRAMES) {
        assert.deepEqual(storedBars(store, 'EURUSD', timeframe).map((bar) => [bar.close, bar.tickVolume, bar.high]), [[1.5, 1, 1.5], [1.1, 2, 1.5], [1.2, 3, 1.5]], timeframe);
      }
    });

    it('loses only the tick whose store failed, reads the series again, and stores nothing twice', async () => {
      const store = new FakeBarStore();
      const link = new NodeLink(store);
      const bars = builder(link, now);
      // A series sends its four stores in a row once read, M1's first: the third is the third tick's M1 bar.
      link.failStore = 3;
      const built = [1.1, 1.2, 1.3, 1.4].map((bid, index) => bars.build([{ platformId: 'demo', tick: tick(BASE + index, bid) }]));
      const settled = Promise.allSettled(built);
      await drain([link]);
      const results = await settled;
      assert.deepEqual(results.map((result) => result.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      assert.deepEqual(storedBars(store, 'EURUSD', 'M1').map((bar) => [bar.close, bar.tickVolume]), [[1.1, 1], [1.2, 2], [1.4, 3]]);
      assert.deepEqual(storedBars(store, 'EURUSD', 'H1').map((bar) => [bar.close, bar.tickVolume]), [[1.1, 1], [1.2, 2], [1.3, 3], [1.4, 4]]);
    });

    it('refuses ticks at once past the waiting limit, and keeps at most maxInFlight stores under way', async () => {
      const store = new FakeBarStore();
      const link = new NodeLink(store);
      const bars = builder(link, now, 1000, { maxInFlight: 2, maxWaiting: 3 });
      const built = [1, 2, 3, 4].map((index) => bars.build([{ platformId: 'demo', tick: tick(BASE + index, 1 + index / 10) }]));
      await assert.rejects(built[3]!, /ticks behind; a tick was left out/);
      await drain([link]);
      await Promise.all(built.slice(0, 3));
      assert.ok(link.mostWaiting <= 2 * TIMEFRAMES.length, `at most 2 stores per series under way (${link.mostWaiting} waiting)`);
      assert.deepEqual(storedBars(store, 'EURUSD', 'M1').map((bar) => bar.tickVolume), [1, 2, 3]);
    });
  });

  describe('property: bars equal an independent recomputation from the same ticks', () => {
    /** Ticks around BASE, over a few hours, in any order, some on the same millisecond. */
    const ticksArbitrary = fc.array(
      fc.record({
        offset: fc.integer({ min: -3 * 3_600_000, max: 3 * 3_600_000 }),
        bid: fc.integer({ min: 10_000, max: 20_000 }).map((points) => points / 10_000),
        symbol: fc.constantFrom('EURUSD', 'GBPUSD'),
        node: fc.constantFrom(0, 1),
      }),
      { maxLength: 60 },
    );

    async function check(ticks: ReadonlyArray<{ offset: number; bid: number; symbol: string; node: number }>, nodes: number): Promise<void> {
      const store = new FakeBarStore();
      const builders = Array.from({ length: nodes }, () => builder(store, () => BASE + 4 * 3_600_000));
      for (const t of ticks) {
        const accepted: AcceptedTick = { platformId: 'demo', tick: tick(BASE + t.offset, t.bid, t.symbol) };
        await builders[t.node % nodes]!.build([accepted]);
      }
      for (const symbol of ['EURUSD', 'GBPUSD']) {
        const ofSymbol = ticks.filter((t) => t.symbol === symbol).map((t) => tick(BASE + t.offset, t.bid, symbol));
        for (const timeframe of TIMEFRAMES) {
          const expected = recomputeBars(ofSymbol, timeframe);
          const topic = Topics.bars('demo', symbol, timeframe);
          assert.deepEqual(store.bars(topic), expected.bars, `${symbol} ${timeframe}`);
          const events = store.stored.filter((event) => event.data.symbol === symbol && event.data.timeframe === timeframe);
          assert.equal(events.length, expected.counted, `one event per counted tick: ${symbol} ${timeframe}`);
        }
      }
    }

    it('on one node', async () => {
      await fc.assert(fc.asyncProperty(ticksArbitrary, (ticks) => check(ticks, 1)), { numRuns: 200 });
    });

    it('on two nodes sharing the store, ticks accepted by either', async () => {
      await fc.assert(fc.asyncProperty(ticksArbitrary, (ticks) => check(ticks, 2)), { numRuns: 200 });
    });

    it('in batches, the ticks of several symbols side by side', async () => {
      await fc.assert(fc.asyncProperty(ticksArbitrary, async (ticks) => {
        const store = new FakeBarStore();
        await builder(store, () => BASE + 4 * 3_600_000).build(ticks.map((t) => ({ platformId: 'demo', tick: tick(BASE + t.offset, t.bid, t.symbol) })));
        for (const symbol of ['EURUSD', 'GBPUSD']) {
          const expected = recomputeBars(ticks.filter((t) => t.symbol === symbol).map((t) => tick(BASE + t.offset, t.bid, symbol)), 'M1');
          assert.deepEqual(store.bars(Topics.bars('demo', symbol, 'M1')), expected.bars);
        }
      }), { numRuns: 100 });
    });

    it('on one node, with many ticks under way and the store answering late', async () => {
      await fc.assert(fc.asyncProperty(ticksArbitrary, fc.array(fc.nat(), { minLength: 1, maxLength: 20 }), async (ticks, choices) => {
        const store = new FakeBarStore();
        const link = new NodeLink(store);
        const bars = builder(link, () => BASE + 4 * 3_600_000);
        const built = ticks.map((t) => bars.build([{ platformId: 'demo', tick: tick(BASE + t.offset, t.bid, t.symbol) }]));
        // Step only now and then, so that ticks pile up behind stores under way.
        await drain([link], choices);
        await Promise.all(built);
        for (const symbol of ['EURUSD', 'GBPUSD']) {
          const ofSymbol = ticks.filter((t) => t.symbol === symbol).map((t) => tick(BASE + t.offset, t.bid, symbol));
          for (const timeframe of TIMEFRAMES) {
            const expected = recomputeBars(ofSymbol, timeframe);
            assert.deepEqual(store.bars(Topics.bars('demo', symbol, timeframe)), expected.bars, `${symbol} ${timeframe}`);
            assert.equal(storedBars(store, symbol, timeframe).length, expected.counted);
          }
        }
      }), { numRuns: 100 });
    });

    it('on two nodes storing the same series at once in any interleaving: every tick in exactly one event, each event the previous one plus a tick', async () => {
      // Ticks of one minute (no tick is out of order for any timeframe, whatever order the nodes store in).
      const nodesArbitrary = fc.array(fc.constantFrom(0, 1), { minLength: 1, maxLength: 30 });
      await fc.assert(fc.asyncProperty(nodesArbitrary, fc.array(fc.nat(), { minLength: 1, maxLength: 30 }), async (nodeOf, choices) => {
        const store = new FakeBarStore();
        const links = [new NodeLink(store), new NodeLink(store)];
        const nodes = links.map((link) => builder(link, () => BASE + 1000));
        // Unique bids name the ticks: bid 1 + i / 10,000 for the i-th.
        const ticks = nodeOf.map((_node, index) => tick(BASE + index, 1 + index / 10_000));
        const built = ticks.map((t, index) => nodes[nodeOf[index]!]!.build([{ platformId: 'demo', tick: t }]));
        await drain(links, choices);
        await Promise.all(built);
        for (const timeframe of TIMEFRAMES) {
          const events = storedBars(store, 'EURUSD', timeframe);
          const order = events.map((bar) => Math.round((bar.close - 1) * 10_000));
          assert.deepEqual([...order].sort((a, b) => a - b), ticks.map((_t, index) => index), `${timeframe}: every tick exactly once`);
          let previous: Bar | undefined;
          for (const [position, event] of events.entries()) {
            assert.deepEqual(event, nextBar(previous, ticks[order[position]!]!, timeframe), `${timeframe}: event ${position} follows the previous one`);
            previous = event;
          }
          for (const node of [0, 1]) {
            const own = order.filter((index) => nodeOf[index] === node);
            assert.deepEqual(own, [...own].sort((a, b) => a - b), `${timeframe}: node ${node}'s ticks in the order it built them`);
          }
        }
      }), { numRuns: 200 });
    });
  });

  describe('bars kept by the in-memory broker', () => {
    it('keeps the last `barHistory` bars, oldest first, and refuses a store from a stale position', async () => {
      const broker = new InMemoryTradeBroker({ historyLength: 100, dedupeWindowMs: 60_000, barHistory: 3 });
      const topic = Topics.bars('demo', 'EURUSD', 'M1');
      let { position } = await broker.snapshot(topic);
      for (let minute = 0; minute < 5; minute++) {
        const data: Bar = { symbol: 'EURUSD', timeframe: 'M1', time: barOpenTime(BASE, 'M1') + minute * 60_000, open: 1, high: 1, low: 1, close: 1, tickVolume: 1 };
        const envelope = await broker.publishIfAt({ type: 'bar', platformId: 'demo', data }, position);
        assert.ok(envelope);
        position = { epoch: envelope.epoch, seq: envelope.seq };
      }
      const stale = await broker.publishIfAt({ type: 'bar', platformId: 'demo', data: { symbol: 'EURUSD', timeframe: 'M1', time: 0, open: 1, high: 1, low: 1, close: 1, tickVolume: 1 } }, { ...position, seq: position.seq - 1 });
      assert.equal(stale, undefined);
      const { snapshot } = await broker.snapshot(topic);
      assert.ok(snapshot.kind === 'bars');
      assert.deepEqual(snapshot.bars.map((bar) => (bar.time - barOpenTime(BASE, 'M1')) / 60_000), [2, 3, 4]);
      await broker.close();
    });
  });
});
