import assert from 'node:assert/strict';
import type { SubscribeResult, TradeEnvelope } from '@tradehub/shared';
import { NodeGroup } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';

describe('in-memory broker: topics nobody published to', () => {
  let group: NodeGroup;
  before(async () => {
    group = await NodeGroup.start(1);
  });
  after(async () => {
    await group.close();
  });

  it('reading one stores nothing, and its reader keeps its place when the first event comes', async () => {
    const reader = await group.trade(0, 'demo-reader', 'demo-reader-secret');
    const publisher = await group.trade(0, 'demo-publisher', 'demo-publisher-secret');
    const received: TradeEnvelope[] = [];
    const resyncs: unknown[] = [];
    reader.on('OnEvent', (envelope: TradeEnvelope) => received.push(envelope));
    reader.on('OnResync', (notice: unknown) => resyncs.push(notice));
    const probed = Array.from({ length: 50 }, (_, i) => `platforms/demo/ticks/PROBE${i}`);
    const results = await reader.invoke('Subscribe', probed) as SubscribeResult[];
    assert.ok(results.every((result) => result.status === 'snapshot' && result.seq === 0));
    // Only topics that had events are listed under a wildcard: the probes left nothing behind.
    const [wildcard] = await reader.invoke('Subscribe', ['platforms/demo/ticks/*']) as SubscribeResult[];
    assert.ok(wildcard?.status === 'wildcard');
    assert.deepEqual(wildcard.topics.map((topic) => topic.topic).filter((topic) => topic.includes('PROBE')), []);
    const first = results[0];
    assert.ok(first?.status === 'snapshot');
    await publisher.invoke('Publish', [{ type: 'tick', platformId: 'demo', data: { symbol: 'PROBE0', bid: 1, ask: 1.1, time: Date.now() } }]);
    await waitUntil(() => received.length > 0, 'the first event');
    // Sentinel: one more event on the same topic. Events of a topic arrive in order, so a second
    // copy of the first (the wildcard and the topic itself both cover it) would come before it.
    await publisher.invoke('Publish', [{ type: 'tick', platformId: 'demo', data: { symbol: 'PROBE0', bid: 2, ask: 2.1, time: Date.now() } }]);
    await waitUntil(() => received.some((e) => e.seq === 2), 'the sentinel event');
    // Delivered once, in the epoch the reader was told.
    assert.deepEqual(received.map((e) => [e.topic, e.seq, e.epoch]), [['platforms/demo/ticks/PROBE0', 1, first.epoch], ['platforms/demo/ticks/PROBE0', 2, first.epoch]]);
    assert.deepEqual(resyncs, []);
  });
});
