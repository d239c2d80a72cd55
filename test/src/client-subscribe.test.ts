import assert from 'node:assert/strict';
import { connect, Topics, type TopicItem, type TradehubClient, type TradeEventInput } from '@tradehub/client';
import { startTradehub, type RunningTradehub } from './support/tradehub-app.js';

describe('client: subscribe and events', function () {
  this.timeout(20_000);
  let hub: RunningTradehub;
  const clients: TradehubClient[] = [];
  before(async () => {
    hub = await startTradehub();
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await hub.close();
  });

  async function client(id: string, secret: string): Promise<TradehubClient> {
    const c = await connect({ url: hub.baseUrl, credentials: { clientId: id, clientSecret: secret }, logger: console });
    clients.push(c);
    return c;
  }

  const position = (login: string, id: string, volume: number): TradeEventInput => ({
    type: 'position', platformId: 'demo', id,
    data: { position: id.replace(/\D/g, '') || '1', login, symbol: 'EURUSD', direction: 'buy', volume, priceOpen: 1.1, priceCurrent: 1.1, profit: 0, swap: 0, time: Date.now() },
  });

  it('delivers the snapshot first, then each event in order', async () => {
    const publisher = await client('demo-publisher', 'demo-publisher-secret');
    const reader = await client('demo-reader', 'demo-reader-secret');
    await publisher.publish([position('3001', 'p-1', 10_000)]);
    const topic = Topics.account('demo', '3001');
    const items: TopicItem[] = [];
    const stream = reader.events(topic);
    const reading = (async () => {
      for await (const item of stream) {
        items.push(item);
        if (items.length === 3) break;
      }
    })();
    while (!stream.started) await new Promise((r) => setTimeout(r, 10));
    await publisher.publish([position('3001', 'p-2', 20_000), position('3001', 'p-1', 0)]);
    await reading;
    assert.equal(items[0]?.kind, 'snapshot');
    assert.deepEqual(items.map((i) => i.kind === 'event' ? i.event.seq : i.kind), ['snapshot', 2, 3]);
    const view = reader.state.account('demo', '3001');
    assert.equal(view, undefined, 'the state of a topic is forgotten once no one subscribes');
  });
});
