import assert from 'node:assert/strict';
import {
  CoalescingWriter, JsonHubProtocol, MessagePackHubProtocol, SerializedHubMessage, batchedFlushScheduler, type FlushScheduler,
} from '@tradehub/server';

interface WrittenFrame {
  text: string;
  isText: boolean;
}

/** A fake transport: frames the writer hands over, and a scheduler the test runs by hand. */
function fakeTransport(maxFrameBytes = 64) {
  const frames: WrittenFrame[] = [];
  const turns: Array<() => void> = [];
  const schedule: FlushScheduler = batchedFlushScheduler((run) => turns.push(run));
  const writer = new CoalescingWriter(
    (frame, isText) => frames.push({ text: Buffer.from(frame).toString('latin1'), isText }),
    schedule,
    maxFrameBytes,
  );
  const endTurn = (): void => {
    for (const run of turns.splice(0)) run();
  };
  return { frames, writer, endTurn, turns };
}

const bytes = (text: string): Uint8Array => Buffer.from(text, 'latin1');

describe('CoalescingWriter: the messages of one turn leave in one frame', () => {
  it('queues messages until the end of the turn, then writes them as one frame in order', () => {
    const { frames, writer, endTurn } = fakeTransport();
    writer.write(bytes('a\x1e'), true);
    writer.write(bytes('bb\x1e'), true);
    writer.write(bytes('ccc\x1e'), true);
    assert.deepEqual(frames, []);
    assert.equal(writer.bufferedBytes, 9);
    endTurn();
    assert.deepEqual(frames, [{ text: 'a\x1ebb\x1eccc\x1e', isText: true }]);
    assert.equal(writer.bufferedBytes, 0);
  });

  it('never lets a frame of coalesced messages pass the byte bound, and never splits a message', () => {
    const { frames, writer, endTurn } = fakeTransport(10);
    writer.write(bytes('1234\x1e'), true);
    writer.write(bytes('5678\x1e'), true);
    // 10 bytes queued: one more would pass the bound, so what is queued leaves first.
    writer.write(bytes('9\x1e'), true);
    assert.deepEqual(frames, [{ text: '1234\x1e5678\x1e', isText: true }]);
    // A message larger than the bound is a frame of its own, whole.
    writer.write(bytes('0123456789abcdef\x1e'), true);
    endTurn();
    assert.deepEqual(frames.map((frame) => frame.text), ['1234\x1e5678\x1e', '9\x1e', '0123456789abcdef\x1e']);
  });

  it('keeps text and binary messages in separate frames, in the order they were sent', () => {
    const { frames, writer, endTurn } = fakeTransport();
    writer.write(bytes('{}\x1e'), true);
    writer.write(bytes('\x02AB'), false);
    writer.write(bytes('\x01C'), false);
    writer.write(bytes('{"type":6}\x1e'), true);
    endTurn();
    assert.deepEqual(frames, [
      { text: '{}\x1e', isText: true },
      { text: '\x02AB\x01C', isText: false },
      { text: '{"type":6}\x1e', isText: true },
    ]);
  });

  it('writes at once on flush, and the end of the turn then has nothing left to write', () => {
    const { frames, writer, endTurn } = fakeTransport();
    writer.write(bytes('{}\x1e'), true);
    writer.flush();
    assert.deepEqual(frames.map((frame) => frame.text), ['{}\x1e']);
    writer.write(bytes('next\x1e'), true);
    endTurn();
    assert.deepEqual(frames.map((frame) => frame.text), ['{}\x1e', 'next\x1e']);
  });

  it('endFrame: what was queued is a frame of its own, leaving at the end of the turn with what follows, in one write together', () => {
    const frames: string[] = [];
    const turns: Array<() => void> = [];
    const together: number[] = [];
    const writer = new CoalescingWriter(
      (frame) => frames.push(Buffer.from(frame).toString('latin1')),
      batchedFlushScheduler((run) => turns.push(run)),
      64,
      (write) => {
        const before = frames.length;
        write();
        together.push(frames.length - before);
      },
    );
    writer.write(bytes('{}\x1e'), true);
    writer.endFrame();
    writer.write(bytes('hello\x1e'), true);
    writer.write(bytes('world\x1e'), true);
    assert.deepEqual(frames, [], 'nothing written before the end of the turn');
    assert.equal(writer.bufferedBytes, 15);
    for (const run of turns.splice(0)) run();
    assert.deepEqual(frames, ['{}\x1e', 'hello\x1eworld\x1e']);
    assert.deepEqual(together, [2], 'both frames in one write');
    assert.equal(writer.bufferedBytes, 0);
    // Without an ended frame a flush is one frame, written directly.
    writer.write(bytes('next\x1e'), true);
    for (const run of turns.splice(0)) run();
    assert.deepEqual(frames.at(-1), 'next\x1e');
    assert.deepEqual(together, [2]);
  });

  it('endFrame: an ended frame alone still leaves; nothing queued ends nothing; discard forgets ended frames too', () => {
    const { frames, writer, endTurn } = fakeTransport();
    writer.endFrame();
    writer.write(bytes('{}\x1e'), true);
    writer.endFrame();
    writer.endFrame();
    endTurn();
    assert.deepEqual(frames.map((frame) => frame.text), ['{}\x1e']);
    writer.write(bytes('a\x1e'), true);
    writer.endFrame();
    writer.write(bytes('b\x1e'), true);
    writer.discard();
    assert.equal(writer.bufferedBytes, 0);
    endTurn();
    assert.deepEqual(frames.map((frame) => frame.text), ['{}\x1e']);
  });

  it('endFrame keeps order with a message of the other kind, which flushes what is queued first', () => {
    const { frames, writer, endTurn } = fakeTransport();
    writer.write(bytes('{}\x1e'), true);
    writer.endFrame();
    writer.write(bytes('x\x1e'), true);
    writer.write(bytes('\x02AB'), false);
    endTurn();
    assert.deepEqual(frames, [
      { text: '{}\x1e', isText: true },
      { text: 'x\x1e', isText: true },
      { text: '\x02AB', isText: false },
    ]);
  });

  it('forgets what is queued when discarded (its transport is gone)', () => {
    const { frames, writer, endTurn } = fakeTransport();
    writer.write(bytes('lost\x1e'), true);
    writer.discard();
    assert.equal(writer.bufferedBytes, 0);
    endTurn();
    assert.deepEqual(frames, []);
  });

  it('schedules one flush for all writers of a turn, and a new one for the next turn', () => {
    const turns: Array<() => void> = [];
    const schedule = batchedFlushScheduler((run) => turns.push(run));
    const written: string[] = [];
    const writers = ['x', 'y', 'z'].map((name) => new CoalescingWriter((frame) => written.push(`${name}:${Buffer.from(frame).toString()}`), schedule, 64));
    for (const writer of writers) {
      writer.write(bytes('1'), true);
      writer.write(bytes('2'), true);
    }
    assert.equal(turns.length, 1);
    (turns.shift() as () => void)();
    assert.deepEqual(written, ['x:12', 'y:12', 'z:12']);
    (writers[0] as CoalescingWriter).write(bytes('3'), true);
    assert.equal(turns.length, 1);
  });
});

describe('batchedFlushScheduler under load: a flush after a big one waits for more messages', () => {
  /** A scheduler on an injected clock: immediate runs and timed ones are kept for the test to run. */
  function loadedScheduler(busyFrames = 4, maxPauseMs = 10) {
    let clock = 0;
    const immediate: Array<() => void> = [];
    const timed: Array<{ run: () => void; ms: number }> = [];
    const schedule = batchedFlushScheduler({
      defer: (run) => immediate.push(run),
      after: (run, ms) => timed.push({ run, ms }),
      now: () => clock,
      busyFrames,
      maxPauseMs,
    });
    const frames: string[] = [];
    /** Each flush of a writer takes 1 ms of the clock, as writing to a socket takes time. */
    const writers = Array.from({ length: 8 }, (_unused, index) => new CoalescingWriter((frame) => {
      clock += 1;
      frames.push(`${index}:${Buffer.from(frame).toString()}`);
    }, schedule, 64));
    const advance = (ms: number): void => {
      clock += ms;
    };
    return { immediate, timed, writers, frames, advance };
  }

  it('flushes at the end of the turn while flushes are small, or messages come after a pause as long as the last flush', () => {
    const { immediate, timed, writers, advance } = loadedScheduler();
    writers.slice(0, 3).forEach((writer) => writer.write(bytes('a'), true));
    assert.equal(immediate.length, 1);
    immediate.shift()!(); // 3 frames: under busyFrames
    writers[0]!.write(bytes('b'), true);
    assert.deepEqual([immediate.length, timed.length], [1, 0], 'a small flush is never followed by a pause');
    immediate.shift()!();
    writers.forEach((writer) => writer.write(bytes('c'), true));
    immediate.shift()!(); // 8 frames, 8 ms
    advance(8);
    writers[0]!.write(bytes('d'), true);
    assert.deepEqual([immediate.length, timed.length], [1, 0], 'messages that came after as long as the flush took go at once');
  });

  it('waits as long as the big flush took, less the time since, and carries in one frame what came meanwhile', () => {
    const { immediate, timed, writers, frames, advance } = loadedScheduler();
    writers.forEach((writer) => writer.write(bytes('a'), true));
    immediate.shift()!(); // 8 frames, 8 ms
    advance(3);
    writers[1]!.write(bytes('b'), true);
    assert.deepEqual(timed.map((entry) => entry.ms), [5]);
    assert.equal(immediate.length, 0);
    writers[1]!.write(bytes('c'), true);
    writers[2]!.write(bytes('d'), true);
    assert.equal(timed.length, 1, 'one flush for everything queued during the pause');
    timed.shift()!.run();
    assert.deepEqual(frames.slice(-2), ['1:bc', '2:d']);
  });

  it('never waits with maxPauseMs 0 (limits.flushPauseMaxMs: 0)', () => {
    const { timed, immediate, writers } = loadedScheduler(4, 0);
    writers.forEach((writer) => writer.write(bytes('a'), true));
    immediate.shift()!(); // 8 ms
    writers[0]!.write(bytes('b'), true);
    assert.deepEqual([immediate.length, timed.length], [1, 0]);
  });

  it('never waits longer than maxPauseMs', () => {
    const { timed, immediate, writers } = loadedScheduler(4, 3);
    writers.forEach((writer) => writer.write(bytes('a'), true));
    immediate.shift()!(); // 8 ms
    writers[0]!.write(bytes('b'), true);
    assert.deepEqual(timed.map((entry) => entry.ms), [3]);
  });
});

describe('SerializedHubMessage: encoded once per protocol', () => {
  it('gives every recipient of a protocol the same UTF-8 bytes, counted in bytes', () => {
    const json = new JsonHubProtocol();
    const message = new SerializedHubMessage({ type: 1, target: 'Message', arguments: ['é€'] });
    const first = message.for(json);
    assert.equal(message.for(json), first);
    const expected = Buffer.from(`${JSON.stringify({ type: 1, target: 'Message', arguments: ['é€'] })}\x1e`, 'utf8');
    assert.deepEqual(Buffer.from(first), expected);
    // 2 characters, 5 bytes: budgets judge bytes.
    assert.equal(first.length, expected.length);
  });

  it('keeps one encoding per protocol', () => {
    const json = new JsonHubProtocol();
    const messagePack = new MessagePackHubProtocol();
    const message = new SerializedHubMessage({ type: 1, target: 'Message', arguments: ['x'] });
    const asJson = message.for(json);
    const asMessagePack = message.for(messagePack);
    assert.notDeepEqual(Buffer.from(asJson), Buffer.from(asMessagePack));
    assert.equal(message.for(messagePack), asMessagePack);
    assert.equal(message.for(json), asJson);
  });
});
