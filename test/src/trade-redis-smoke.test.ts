import assert from 'node:assert/strict';
import type { SubscribeResult, TradeEnvelope } from '@tradehub/shared';
import { SHARED_REDIS_URL } from './support/redis-server.js';
import { NodeGroup } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';

describe('trade events across two nodes through Redis (smoke)', () => {
  let group: NodeGroup;
  before(async () => {
    group = await NodeGroup.start(2, SHARED_REDIS_URL);
  });
  after(async () => {
    await group.close();
  });

  it('a subscriber on A receives, in order, what a publisher on B sends', async () => {
    const reader = await group.trade(0, 'demo-reader', 'demo-reader-secret');
    const publisher = await group.trade(1, 'demo-publisher', 'demo-publisher-secret');
    const received: TradeEnvelope[] = [];
    reader.on('OnEvent', (envelope: TradeEnvelope) => received.push(envelope));
    const account = (balance: number) => ({
      type: 'account', platformId: 'demo',
      data: { login: '5001', balance, credit: 0, equity: balance, margin: 0, marginFree: balance, marginLevel: null, currency: 'USD', leverage: 100, time: Date.now() },
    });
    await publisher.invoke('Publish', [account(100)]);
    const [result] = await reader.invoke('Subscribe', ['platforms/demo/accounts/5001']) as SubscribeResult[];
    assert.equal(result?.status, 'snapshot');
    if (result?.status !== 'snapshot' || result.snapshot.kind !== 'accounts') throw new Error('expected an account snapshot');
    assert.equal(result.snapshot.accounts[0]?.account?.balance, 100);
    for (let i = 1; i <= 50; i++) await publisher.invoke('Publish', [account(100 + i)]);
    await waitUntil(() => received.length >= 50, '50 events');
    assert.deepEqual(received.map((e) => e.seq), Array.from({ length: 50 }, (_, i) => i + 2));
    const [resumed] = await reader.invoke('Subscribe', ['platforms/demo/accounts/5001'], { 'platforms/demo/accounts/5001': { epoch: result.epoch, seq: 40 } }) as SubscribeResult[];
    assert.equal(resumed?.status, 'resumed');
    if (resumed?.status !== 'resumed') throw new Error('expected resumed');
    assert.deepEqual(resumed.events.map((e) => e.seq), [41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51]);
  });
});
