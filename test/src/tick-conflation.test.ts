import assert from 'node:assert/strict';
import { connectionConsumer, TickConflation, type BufferedSink } from '@tradehub/server';
import { Topics, type TradeEnvelope } from '@tradehub/shared';
import { waitUntil } from './support/wait.js';

const THRESHOLD = 1000;
/** What each written message adds to the fake connection's waiting bytes. */
const MESSAGE_BYTES = 100;

/** A connection whose waiting bytes the test sets, and that counts what is written as waiting too. */
class FakeSink implements BufferedSink {
  bufferedBytes: number | undefined = 0;
  readonly written: TradeEnvelope[] = [];

  write(envelope: TradeEnvelope): void {
    this.written.push(envelope);
    if (this.bufferedBytes !== undefined) this.bufferedBytes += MESSAGE_BYTES;
  }
}

function tick(symbol: string, seq: number): TradeEnvelope {
  return {
    v: 1, topic: Topics.ticks('demo', symbol), type: 'tick', platformId: 'demo', seq, epoch: 'e1', time: seq, hubTime: seq,
    data: { symbol, bid: seq, ask: seq + 0.0002, time: seq },
  };
}

function deal(login: string, seq: number): TradeEnvelope {
  return {
    v: 1, topic: Topics.account('demo', login), type: 'deal', platformId: 'demo', seq, epoch: 'e1', time: seq, hubTime: seq,
    data: {
      deal: String(seq), order: '1', position: '2', login, symbol: 'EURUSD', action: 'buy', entry: 'in', volume: 10_000, price: 1.1,
      profit: 0, commission: 0, swap: 0, time: seq,
    },
  };
}

const written = (sink: FakeSink): string[] => sink.written.map((envelope) => `${envelope.topic.split('/').at(-1)}:${envelope.seq}`);

describe('tick conflation (per connection, at the trade layer)', () => {
  let conflated: number;
  let node: TickConflation;
  beforeEach(() => {
    conflated = 0;
    // A long interval: these tests flush by hand, except the one about the timer.
    node = new TickConflation({ thresholdBytes: THRESHOLD, flushIntervalMs: 60_000, onConflated: () => conflated++ });
  });
  afterEach(() => node.close());

  it('writes ticks at once while no more than the threshold waits', () => {
    const sink = new FakeSink();
    const gate = node.gate(sink, (envelope) => sink.write(envelope));
    for (let seq = 1; seq <= 10; seq++) gate.offer(tick('EURUSD', seq));
    assert.equal(sink.written.length, 10);
    assert.equal(gate.heldCount, 0);
    assert.equal(node.holdingConnections, 0);
    assert.equal(conflated, 0);
  });

  it('past the threshold holds one tick per topic, the newest replacing the one held, and counts those dropped', () => {
    const sink = new FakeSink();
    sink.bufferedBytes = THRESHOLD + 1;
    const gate = node.gate(sink, (envelope) => sink.write(envelope));
    for (let seq = 1; seq <= 1000; seq++) {
      for (const symbol of ['EURUSD', 'GBPUSD', 'USDJPY']) gate.offer(tick(symbol, seq));
    }
    assert.equal(sink.written.length, 0);
    assert.equal(gate.heldCount, 3, 'bounded by the topics, not by the ticks');
    assert.equal(node.holdingConnections, 1);
    assert.equal(conflated, 3 * 999);
    sink.bufferedBytes = 0;
    node.flush();
    assert.deepEqual(written(sink), ['EURUSD:1000', 'GBPUSD:1000', 'USDJPY:1000'], 'the latest tick of each topic');
    assert.equal(node.holdingConnections, 0);
  });

  it('writes what is held before a later tick of the same topic, and only while the connection is not congested', () => {
    const sink = new FakeSink();
    sink.bufferedBytes = THRESHOLD + 1;
    const gate = node.gate(sink, (envelope) => sink.write(envelope));
    gate.offer(tick('EURUSD', 1));
    gate.offer(tick('GBPUSD', 1));
    gate.offer(tick('USDJPY', 1));
    gate.offer(tick('EURUSD', 2));
    // The client read some: room for two messages before it is congested again.
    sink.bufferedBytes = THRESHOLD - 1.5 * MESSAGE_BYTES;
    gate.offer(tick('EURUSD', 3));
    // Oldest wait first (EURUSD waited first, keeps its place when replaced); then congested again.
    assert.deepEqual(written(sink), ['EURUSD:2', 'GBPUSD:1']);
    assert.equal(gate.heldCount, 2, 'USDJPY:1 and EURUSD:3 wait');
    sink.bufferedBytes = 0;
    gate.offer(tick('USDJPY', 2));
    assert.deepEqual(written(sink), ['EURUSD:2', 'GBPUSD:1', 'USDJPY:1', 'EURUSD:3', 'USDJPY:2'], 'each topic in seq order');
    assert.equal(gate.heldCount, 0);
    assert.equal(node.holdingConnections, 0);
  });

  it('offers held ticks again from the node timer once the connection drained, and then stops the timer', async () => {
    const timed = new TickConflation({ thresholdBytes: THRESHOLD, flushIntervalMs: 10 });
    try {
      const sink = new FakeSink();
      sink.bufferedBytes = THRESHOLD + 1;
      const gate = timed.gate(sink, (envelope) => sink.write(envelope));
      gate.offer(tick('EURUSD', 1));
      gate.offer(tick('EURUSD', 2));
      assert.equal(timed.holdingConnections, 1);
      sink.bufferedBytes = 0;
      await waitUntil(() => sink.written.length === 1, 'the held tick written by the timer', 2_000);
      assert.deepEqual(written(sink), ['EURUSD:2']);
      assert.equal(timed.holdingConnections, 0);
    } finally {
      timed.close();
    }
  });

  it('never holds anything without a threshold, nor for a connection that cannot tell its waiting bytes', () => {
    const off = new TickConflation({ thresholdBytes: undefined });
    const congested = new FakeSink();
    congested.bufferedBytes = 10 * THRESHOLD;
    const offGate = off.gate(congested, (envelope) => congested.write(envelope));
    const unknown = new FakeSink();
    unknown.bufferedBytes = undefined;
    const unknownGate = node.gate(unknown, (envelope) => unknown.write(envelope));
    for (let seq = 1; seq <= 5; seq++) {
      offGate.offer(tick('EURUSD', seq));
      unknownGate.offer(tick('EURUSD', seq));
    }
    assert.equal(congested.written.length, 5);
    assert.equal(unknown.written.length, 5);
    assert.equal(off.holdingConnections + node.holdingConnections, 0);
  });

  it('also holds ticks while a stateful-reconnect client has more than its threshold unacknowledged', () => {
    const stateful = new TickConflation({ thresholdBytes: THRESHOLD, unacknowledgedThresholdBytes: 10 * THRESHOLD, flushIntervalMs: 60_000 });
    try {
      const sink = new (class extends FakeSink {
        unacknowledgedBytes = 0;
      })();
      const gate = stateful.gate(sink, (envelope) => sink.write(envelope));
      sink.unacknowledgedBytes = 10 * THRESHOLD;
      gate.offer(tick('EURUSD', 1));
      // Its socket has nothing waiting (a proxy or the kernel took it all), but the client acknowledged nothing.
      sink.bufferedBytes = 0;
      sink.unacknowledgedBytes = 10 * THRESHOLD + 1;
      gate.offer(tick('EURUSD', 2));
      gate.offer(tick('EURUSD', 3));
      assert.deepEqual(written(sink), ['EURUSD:1']);
      assert.equal(gate.heldCount, 1);
      sink.unacknowledgedBytes = 0;
      stateful.flush();
      assert.deepEqual(written(sink), ['EURUSD:1', 'EURUSD:3']);
    } finally {
      stateful.close();
    }
  });

  it('forgets what a closed connection held', () => {
    const sink = new FakeSink();
    sink.bufferedBytes = THRESHOLD + 1;
    const gate = node.gate(sink, (envelope) => sink.write(envelope));
    gate.offer(tick('EURUSD', 1));
    gate.forget();
    sink.bufferedBytes = 0;
    node.flush();
    assert.equal(sink.written.length, 0);
    assert.equal(node.holdingConnections, 0);
  });

  describe('the connection consumer', () => {
    /** A hub connection that records the invocations written to it. */
    function fakeConnection(): { sink: Parameters<typeof connectionConsumer>[0]; sent: string[]; setBuffered(bytes: number): void } {
      const sent: string[] = [];
      let buffered = 0;
      const sink = {
        connectionId: 'c1',
        userId: undefined,
        get bufferedBytes() {
          return buffered;
        },
        write(message: { message: { type: number; target?: string; arguments?: unknown[] } }) {
          const argument = message.message.arguments?.[0] as { topic: string; seq?: number; type?: string };
          sent.push(`${message.message.target}:${argument.type ?? ''}:${argument.topic.split('/').at(-1)}:${argument.seq ?? ''}`);
          buffered += MESSAGE_BYTES;
        },
        invokeClient: () => Promise.resolve(undefined),
      } as unknown as Parameters<typeof connectionConsumer>[0];
      return { sink, sent, setBuffered: (bytes) => (buffered = bytes) };
    }

    it('never conflates other events: every deal is written, congested or not, while ticks wait', () => {
      const connection = fakeConnection();
      const consumer = connectionConsumer(connection.sink, node);
      connection.setBuffered(THRESHOLD + 1);
      for (let seq = 1; seq <= 50; seq++) {
        consumer.event(deal('5001', seq));
        consumer.event(tick('EURUSD', seq));
      }
      const deals = connection.sent.filter((line) => line.includes(':deal:'));
      assert.deepEqual(deals, Array.from({ length: 50 }, (_, i) => `OnEvent:deal:5001:${i + 1}`));
      assert.equal(connection.sent.length, 50, 'no tick written while congested');
      assert.equal(conflated, 49);
      consumer.close();
    });

    it('writes a held tick before a resync notice of its topic (or a wildcard covering it), and lets a duplicate through once', () => {
      const connection = fakeConnection();
      const consumer = connectionConsumer(connection.sink, node);
      connection.setBuffered(THRESHOLD + 1);
      consumer.event(tick('EURUSD', 1));
      // Heard again through a wildcard subscription: not held twice, not conflated.
      consumer.event(tick('EURUSD', 1));
      consumer.event(tick('GBPUSD', 1));
      consumer.resync({ topic: Topics.allTicks('demo'), reason: 'history_gone' });
      assert.deepEqual(connection.sent, ['OnEvent:tick:EURUSD:1', 'OnEvent:tick:GBPUSD:1', 'OnResync::*:']);
      assert.equal(conflated, 0);
      consumer.close();
    });

    it('writes the held ticks of a topic being subscribed again before its answer, and only those', () => {
      const connection = fakeConnection();
      const consumer = connectionConsumer(connection.sink, node);
      connection.setBuffered(THRESHOLD + 1);
      consumer.event(tick('EURUSD', 1));
      consumer.event(tick('GBPUSD', 1));
      consumer.writeHeld(Topics.ticks('demo', 'EURUSD'));
      assert.deepEqual(connection.sent, ['OnEvent:tick:EURUSD:1']);
      connection.setBuffered(0);
      node.flush();
      assert.deepEqual(connection.sent, ['OnEvent:tick:EURUSD:1', 'OnEvent:tick:GBPUSD:1']);
      consumer.close();
    });
  });

  describe('per-subscription tick rate (maxRatePerSecond), injected clock', () => {
    let clock: number;
    let rated: TickConflation;
    beforeEach(() => {
      clock = 1_000_000;
      rated = new TickConflation({ thresholdBytes: THRESHOLD, flushIntervalMs: 60_000, onConflated: () => conflated++, now: () => clock });
    });
    afterEach(() => rated.close());

    it('writes at most one tick per interval per topic, holds the latest meanwhile, and writes it once due (the trailing delivery)', () => {
      const sink = new FakeSink();
      const gate = rated.gate(sink, (envelope) => { sink.written.push(envelope); });
      // 2 per second: 500 ms apart. EURUSD is limited, GBPUSD is not.
      gate.offer(tick('EURUSD', 1), 500);
      gate.offer(tick('EURUSD', 2), 500);
      clock += 100;
      gate.offer(tick('EURUSD', 3), 500);
      gate.offer(tick('GBPUSD', 1));
      gate.offer(tick('GBPUSD', 2));
      assert.deepEqual(written(sink), ['EURUSD:1', 'GBPUSD:1', 'GBPUSD:2'], 'the unlimited topic is not held back');
      assert.equal(gate.heldCount, 1);
      assert.equal(conflated, 1, 'EURUSD:2 replaced by EURUSD:3');
      clock += 399;
      rated.flush();
      assert.equal(sink.written.length, 3, 'not due before 500 ms');
      clock += 1;
      rated.flush();
      assert.deepEqual(written(sink).slice(3), ['EURUSD:3'], 'the newest, once due');
      assert.equal(rated.holdingConnections, 0);
      // The next one is due 500 ms after that write: written at once only then.
      clock += 200;
      gate.offer(tick('EURUSD', 4), 500);
      assert.equal(sink.written.length, 4);
      clock += 300;
      gate.offer(tick('EURUSD', 5), 500);
      assert.deepEqual(written(sink).slice(4), ['EURUSD:4'], 'a due held tick goes before a later one, which then waits its turn');
      clock += 500;
      rated.flush();
      assert.deepEqual(written(sink).slice(5), ['EURUSD:5']);
    });

    it('over any second, writes no more than the rate (plus the first), whatever the tick rate', () => {
      const sink = new FakeSink();
      const gate = rated.gate(sink, (envelope) => { sink.written.push(envelope); });
      const writtenAt: number[] = [];
      const write = sink.written.push.bind(sink.written);
      sink.written.push = (...items) => {
        writtenAt.push(clock);
        return write(...items);
      };
      for (let seq = 1; seq <= 2000; seq++) {
        clock += 3;
        gate.offer(tick('EURUSD', seq), 100);
        if (seq % 8 === 0) rated.flush();
      }
      clock += 100;
      rated.flush();
      assert.equal(sink.written.at(-1)?.seq, 2000, 'ends with the newest');
      for (let index = 1; index < writtenAt.length; index++) {
        assert.ok((writtenAt[index] as number) - (writtenAt[index - 1] as number) >= 100, `writes ${index - 1} and ${index} less than 100 ms apart`);
      }
      assert.ok(writtenAt.length >= 55 && writtenAt.length <= 61, `${writtenAt.length} writes in 6.1 s at 10 per second`);
    });

    it('rates a connection\'s ticks by subscription: a topic\'s own rate, else its wildcard\'s; other events are never held', () => {
      const connection = (() => {
        const sent: string[] = [];
        const sink = {
          connectionId: 'c2', userId: undefined, bufferedBytes: 0,
          write(message: { message: { arguments?: unknown[] } }) {
            const argument = message.message.arguments?.[0] as { topic: string; seq: number; type: string };
            sent.push(`${argument.type}:${argument.topic.split('/').at(-1)}:${argument.seq}`);
          },
          invokeClient: () => Promise.resolve(undefined),
        } as unknown as Parameters<typeof connectionConsumer>[0];
        return { sink, sent };
      })();
      const consumer = connectionConsumer(connection.sink, rated);
      consumer.setTickRate(Topics.allTicks('demo'), 1);
      consumer.setTickRate(Topics.ticks('demo', 'GBPUSD'), 10);
      for (let seq = 1; seq <= 3; seq++) {
        consumer.event(tick('EURUSD', seq));
        consumer.event(tick('GBPUSD', seq));
        consumer.event(deal('5001', seq));
      }
      assert.deepEqual(connection.sent, ['tick:EURUSD:1', 'tick:GBPUSD:1', 'deal:5001:1', 'deal:5001:2', 'deal:5001:3']);
      clock += 100;
      rated.flush();
      assert.deepEqual(connection.sent.slice(5), ['tick:GBPUSD:3'], 'GBPUSD at its own 10 per second');
      clock += 900;
      rated.flush();
      assert.deepEqual(connection.sent.slice(6), ['tick:EURUSD:3'], 'EURUSD at the wildcard\'s 1 per second');
      consumer.setTickRate(Topics.allTicks('demo'), undefined);
      consumer.event(tick('EURUSD', 4));
      assert.deepEqual(connection.sent.slice(7), ['tick:EURUSD:4'], 'no rate any more');
      consumer.close();
    });
  });
});
