import assert from 'node:assert/strict';
import type { HubConnection } from '@microsoft/signalr';
import type { SubscribeResult, TradeEnvelope } from '@tradehub/shared';
import { startTradehub, tradeConnection, type RunningTradehub } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';

describe('trade events (smoke)', () => {
  let hub: RunningTradehub;
  const open: HubConnection[] = [];
  before(async () => {
    hub = await startTradehub();
  });
  after(async () => {
    await Promise.all(open.map((c) => c.stop()));
    await hub.close();
  });

  async function connect(client: string, secret: string): Promise<HubConnection> {
    const connection = await tradeConnection(hub, client, secret);
    open.push(connection);
    return connection;
  }

  it('delivers published events after the snapshot, in order', async () => {
    const publisher = await connect('demo-publisher', 'demo-publisher-secret');
    const reader = await connect('demo-reader', 'demo-reader-secret');
    const tick = (bid: number) => ({ type: 'tick', platformId: 'demo', data: { symbol: 'EURUSD', bid, ask: bid + 0.0002, time: Date.now() } });
    await publisher.invoke('Publish', [tick(1.1)]);
    const received: TradeEnvelope[] = [];
    reader.on('OnEvent', (envelope: TradeEnvelope) => received.push(envelope));
    const [result] = await reader.invoke('Subscribe', ['platforms/demo/ticks/EURUSD']) as SubscribeResult[];
    assert.equal(result?.status, 'snapshot');
    assert.equal(result?.status === 'snapshot' && result.seq, 1);
    await publisher.invoke('Publish', [tick(1.2), tick(1.3)]);
    await waitUntil(() => received.length >= 2, 'two events');
    assert.deepEqual(received.map((e) => e.seq), [2, 3]);
    await assert.rejects(reader.invoke('Publish', [tick(1.4)]), /because user is unauthorized/);
    await assert.rejects(publisher.invoke('Publish', [{ type: 'tick', platformId: 'demo', data: { symbol: 'EURUSD', bid: 'x' } }]), /Invalid events: event 0/);
  });
});
