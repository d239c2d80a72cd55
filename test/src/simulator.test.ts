import assert from 'node:assert/strict';
import type { HubConnection } from '@microsoft/signalr';
import { tradeEnvelopeSchema, type SubscribeResult, type TradeEnvelope } from '@tradehub/shared';
import { officialClient } from './support/official-client.js';
import { clientToken, startTradehub, type RunningTradehub } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';

describe('the demo trade simulator', function () {
  this.timeout(20_000);
  let hub: RunningTradehub;
  let reader: HubConnection | undefined;
  before(async () => {
    hub = await startTradehub({ simulatePlatform: 'demo' });
  });
  after(async () => {
    await reader?.stop();
    await hub.close();
  });

  it('publishes valid ticks, symbols, status and a trading account that a dashboard can follow', async () => {
    const token = await clientToken(hub.baseUrl, 'demo-reader', 'demo-reader-secret');
    reader = officialClient(hub.tradeHubUrl, { accessTokenFactory: () => token });
    reader.on('OnConnectionStatus', () => undefined);
    const events: TradeEnvelope[] = [];
    reader.on('OnEvent', (envelope: unknown) => events.push(tradeEnvelopeSchema.parse(envelope)));
    await reader.start();
    const results = await reader.invoke('Subscribe', [
      'platforms/demo/ticks/*', 'platforms/demo/accounts/5001', 'platforms/demo/status', 'platforms/demo/symbols',
    ]) as SubscribeResult[];
    const [ticks, account, status, symbols] = results;
    assert.equal(ticks?.status, 'wildcard');
    assert.ok(ticks?.status === 'wildcard' && ticks.topics.length === 4);
    assert.ok(status?.status === 'snapshot' && status.snapshot.kind === 'status' && status.snapshot.status?.state === 'connected');
    assert.ok(symbols?.status === 'snapshot' && symbols.snapshot.kind === 'symbols' && symbols.snapshot.symbols.length === 4);
    assert.ok(account?.status === 'snapshot' && account.snapshot.kind === 'accounts' && account.snapshot.accounts[0]?.account?.currency === 'USD');
    await waitUntil(() => events.some((e) => e.type === 'deal'), 'a simulated deal', 10_000);
    const types = new Set(events.map((e) => e.type));
    for (const type of ['tick', 'deal', 'position', 'account']) assert.ok(types.has(type as TradeEnvelope['type']), `no ${type} event`);
    // Per topic, seqs follow each other.
    const byTopic = new Map<string, number[]>();
    for (const event of events) byTopic.set(event.topic, [...(byTopic.get(event.topic) ?? []), event.seq]);
    for (const [topic, seqs] of byTopic) {
      for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], (seqs[i - 1] as number) + 1, topic);
    }
  });

  it('makes bars from its ticks and publishes a depth book for its symbols', async () => {
    const token = await clientToken(hub.baseUrl, 'demo-reader', 'demo-reader-secret');
    const connection = officialClient(hub.tradeHubUrl, { accessTokenFactory: () => token });
    connection.on('OnConnectionStatus', () => undefined);
    const events: TradeEnvelope[] = [];
    connection.on('OnEvent', (envelope: unknown) => events.push(tradeEnvelopeSchema.parse(envelope)));
    await connection.start();
    try {
      const [bars, depth] = await connection.invoke('Subscribe', ['platforms/demo/bars/EURUSD/M1', 'platforms/demo/depth/EURUSD']) as SubscribeResult[];
      assert.ok(bars?.status === 'snapshot' && bars.snapshot.kind === 'bars' && bars.snapshot.bars.length >= 1, JSON.stringify(bars));
      assert.ok(depth?.status === 'snapshot' && depth.snapshot.kind === 'depth' && depth.snapshot.depth !== null, JSON.stringify(depth));
      assert.equal(depth.snapshot.depth?.bids.length, 5);
      await waitUntil(() => events.some((e) => e.type === 'bar') && events.some((e) => e.type === 'depth'), 'a bar and a depth event');
      const bar = events.find((e) => e.type === 'bar');
      assert.ok(bar?.type === 'bar' && bar.data.symbol === 'EURUSD' && bar.data.timeframe === 'M1' && bar.data.time % 60_000 === 0);
    } finally {
      await connection.stop();
    }
  });
});
