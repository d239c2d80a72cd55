import assert from 'node:assert/strict';
import { ClientStreamChannel, ClientStreamTracker } from '@tradehub/server';
import { z } from 'zod';

/** The pure parts of client-stream backpressure: a bounded buffer that says when to pause and when to go on. */
describe('client stream buffer', () => {
  it('says full at capacity, and calls onSpace once when the reader takes an item from a full buffer', async () => {
    let spaces = 0;
    const channel = new ClientStreamChannel('s', z.number(), 3, () => spaces++);
    assert.equal(channel.push(1), 'accepted');
    assert.equal(channel.push(2), 'accepted');
    assert.equal(channel.push(3), 'full');
    assert.equal(channel.isFull, true);
    assert.deepEqual(await channel.next(), { done: false, value: 1 });
    assert.equal(spaces, 1);
    assert.deepEqual(await channel.next(), { done: false, value: 2 });
    assert.equal(spaces, 1, 'room again only once');
    assert.equal(channel.push(4), 'accepted');
    assert.equal(channel.push(5), 'full');
    assert.deepEqual(await channel.readBatch(10), [3, 4, 5]);
    assert.equal(spaces, 2);
  });

  it('frees its items when the method is done with it, and ignores later items', () => {
    let spaces = 0;
    const channel = new ClientStreamChannel('s', z.number(), 2, () => spaces++);
    channel.push(1);
    assert.equal(channel.push(2), 'full');
    channel.dispose();
    assert.equal(channel.isFull, false);
    assert.equal(spaces, 1);
    assert.equal(channel.push(3), 'ignored');
  });

  describe('tracker', () => {
    function tracker(capacity: number): { streams: ClientStreamTracker; changes: boolean[] } {
      const changes: boolean[] = [];
      return { streams: new ClientStreamTracker(capacity, (blocked) => changes.push(blocked)), changes };
    }

    it('blocks while any stream is full, and unblocks only when none is', async () => {
      const { streams, changes } = tracker(2);
      const [a, b] = streams.open(['a', 'b'], [z.number(), z.number()]);
      streams.push('a', 1);
      streams.push('a', 2);
      streams.push('b', 1);
      streams.push('b', 2);
      assert.deepEqual(changes, [true], 'told once, when the first stream filled up');
      assert.equal(streams.blocked, true);
      await a?.next();
      assert.deepEqual(changes, [true], 'b is still full');
      await b?.next();
      assert.deepEqual(changes, [true, false]);
      assert.equal(streams.blocked, false);
    });

    it('unblocks when the client completes a full stream (no more items will come for it)', () => {
      const { streams, changes } = tracker(1);
      streams.open(['a'], [z.number()]);
      assert.equal(streams.push('a', 1), 'full');
      assert.equal(streams.complete('a', undefined), true);
      assert.deepEqual(changes, [true, false]);
    });

    it('unblocks when the method returns without reading (close) or the connection ends (failAll)', () => {
      const { streams, changes } = tracker(1);
      const channels = streams.open(['a'], [z.number()]);
      streams.push('a', 1);
      streams.close(channels);
      assert.deepEqual(changes, [true, false]);
      assert.equal(streams.push('a', 2), 'ignored');
      streams.open(['b'], [z.number()]);
      streams.push('b', 1);
      streams.failAll(() => new Error('gone'));
      assert.deepEqual(changes, [true, false, true, false]);
      assert.equal(streams.size, 0);
    });

    it('ignores items of unknown streams and invalid items without blocking', () => {
      const { streams, changes } = tracker(1);
      streams.open(['a'], [z.number()]);
      assert.equal(streams.push('nobody', 1), 'ignored');
      assert.equal(streams.push('a', 'not a number'), 'ignored');
      assert.deepEqual(changes, []);
    });
  });
});
