import assert from 'node:assert/strict';
import { Topics, type TopicItem, type TradehubClient } from '@tradehub/client';
import { ClientPool, PUBLISHER, READER, tradeEvents } from './support/client-fixtures.js';
import { waitUntil } from './support/wait.js';
import { startTradehub, type RunningTradehub } from './support/tradehub-app.js';

describe('client: MessagePack and the HTTP transports', function () {
  this.timeout(20_000);
  let hub: RunningTradehub;
  const pool = new ClientPool();
  let publisher: TradehubClient;
  before(async () => {
    hub = await startTradehub();
    publisher = await pool.connect({ url: hub.baseUrl, credentials: PUBLISHER, protocol: 'msgpack' });
  });
  after(async () => {
    await pool.closeAll();
    await hub.close();
  });

  for (const [name, options] of [
    ['MessagePack over WebSockets', { protocol: 'msgpack' }],
    ['MessagePack over long polling', { protocol: 'msgpack', transport: 'longPolling' }],
    ['JSON over Server-Sent Events', { protocol: 'json', transport: 'serverSentEvents' }],
  ] as const) {
    it(`${name}: snapshot, then events in order`, async () => {
      const login = String(6000 + Math.floor(Math.random() * 1000));
      const id = (n: number): string => `${name.replace(/\W+/g, '-')}-${login}-${n}`;
      await publisher.publish([tradeEvents.account(login, 100, id(0))]);
      const reader = await pool.connect({ url: hub.baseUrl, credentials: READER, ...options });
      const topic = Topics.account('demo', login);
      const items: Array<TopicItem<typeof topic>> = [];
      const stream = reader.events(topic);
      const reading = (async () => {
        for await (const item of stream) {
          items.push(item);
          if (items.length === 4) break;
        }
      })();
      await waitUntil(() => stream.started, 'the subscription');
      await publisher.publish([1, 2, 3].map((n) => tradeEvents.account(login, 100 + n, id(n))));
      await reading;
      assert.deepEqual(items.map((item) => item.kind === 'event' ? item.event.seq : item.kind), ['snapshot', 2, 3, 4]);
      const last = items[3];
      assert.ok(last?.kind === 'event' && last.event.type === 'account' && last.event.data.balance === 103);
    });
  }
});
