import assert from 'node:assert/strict';
import type { HubConnection } from '@microsoft/signalr';
import type { SubscribeResult, TradeEnvelope } from '@tradehub/shared';
import { setTimeout as sleep } from 'node:timers/promises';
import { HubProcess } from './support/hub-process.js';
import { nextClose, officialClient } from './support/official-client.js';
import { deleteKeys, SHARED_REDIS_URL } from './support/redis-server.js';
import { clientToken, uniqueKeyPrefix } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';

const TOPIC = 'platforms/demo/accounts/8001';
const EVENTS = 120;

describe('a node killed mid-stream', function () {
  this.timeout(60_000);
  const prefix = uniqueKeyPrefix();
  const nodes: HubProcess[] = [];
  const open: HubConnection[] = [];
  before(async () => {
    for (let i = 0; i < 2; i++) nodes.push(await HubProcess.start({ REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: prefix }));
  });
  after(async () => {
    await Promise.all(open.map((c) => c.stop()));
    for (const node of nodes) await node.dispose();
    await deleteKeys(SHARED_REDIS_URL, prefix);
  });

  function position(n: number): Record<string, unknown> {
    return {
      type: 'position', platformId: 'demo', id: `p-${n}`,
      data: {
        position: '900001', login: '8001', symbol: 'XAUUSD', direction: 'buy', volume: 10_000 + n, priceOpen: 2000,
        priceCurrent: 2000 + n / 10, profit: n, swap: 0, time: Date.now(),
      },
    };
  }

  it('a reader moved to the surviving node resumes with every event once, in order', async () => {
    const [nodeA, nodeB] = nodes as [HubProcess, HubProcess];
    // Tokens are valid on every node: nodes sharing a Redis share the generated signing secret.
    const readerToken = await clientToken(nodeA.baseUrl, 'demo-reader', 'demo-reader-secret');
    const publisherToken = await clientToken(nodeA.baseUrl, 'demo-publisher', 'demo-publisher-secret');
    const received: TradeEnvelope[] = [];
    const first = officialClient(nodeA.tradeHubUrl, { accessTokenFactory: () => readerToken });
    first.on('OnConnectionStatus', () => undefined);
    first.on('OnEvent', (envelope: TradeEnvelope) => received.push(envelope));
    await first.start();
    open.push(first);
    const [subscribed] = await first.invoke('Subscribe', [TOPIC]) as SubscribeResult[];
    assert.equal(subscribed?.status, 'snapshot');

    const publisher = officialClient(nodeB.tradeHubUrl, { accessTokenFactory: () => publisherToken });
    publisher.on('OnConnectionStatus', () => undefined);
    await publisher.start();
    open.push(publisher);
    const publishing = (async () => {
      for (let n = 1; n <= EVENTS; n++) {
        await publisher.invoke('Publish', [position(n)]);
        await sleep(5); // a pace, so that the kill falls mid-stream
      }
    })();

    await waitUntil(() => received.length >= 30, '30 events before the kill');
    const closed = nextClose(first, 5_000);
    await nodeA.kill();
    await closed;
    const last = received.at(-1);
    assert.ok(last && last.seq < EVENTS, 'the kill should happen mid-stream');

    // Live events of the new connection may be handled before the Subscribe answer's continuation runs.
    const live: TradeEnvelope[] = [];
    const second = officialClient(nodeB.tradeHubUrl, { accessTokenFactory: () => readerToken });
    second.on('OnConnectionStatus', () => undefined);
    second.on('OnEvent', (envelope: TradeEnvelope) => live.push(envelope));
    await second.start();
    open.push(second);
    const [resumed] = await second.invoke('Subscribe', [TOPIC], { [TOPIC]: { epoch: last.epoch, seq: last.seq } }) as SubscribeResult[];
    assert.equal(resumed?.status, 'resumed');
    if (resumed?.status !== 'resumed') return;
    await publishing;
    await waitUntil(() => received.length + resumed.events.length + live.length >= EVENTS, `all ${EVENTS} events`);
    // Nothing is de-duplicated here: the hub itself must deliver each event exactly once.
    const all = [...received, ...resumed.events, ...live];
    assert.deepEqual(all.map((e) => e.seq), Array.from({ length: EVENTS }, (_, i) => i + 1));
    assert.deepEqual(all.map((e) => e.id), Array.from({ length: EVENTS }, (_, i) => `p-${i + 1}`));
  });
});
