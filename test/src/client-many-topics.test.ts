import assert from 'node:assert/strict';
import { Topics, type ConnectionStateChange, type TopicItem } from '@tradehub/client';
import { ClientPool, PUBLISHER, READER, tradeEvents } from './support/client-fixtures.js';
import { waitUntil } from './support/wait.js';
import { deleteKeys, SHARED_REDIS_URL } from './support/redis-server.js';
import { startTradehub, uniqueKeyPrefix, type RunningTradehub } from './support/tradehub-app.js';

const SYMBOLS = Array.from({ length: 600 }, (_, i) => `SYM${String(i).padStart(3, '0')}`);

describe('client: a wildcard over many topics across a failover', function () {
  this.timeout(30_000);
  const prefix = uniqueKeyPrefix();
  const nodes: RunningTradehub[] = [];
  const pool = new ClientPool();
  before(async () => {
    for (let i = 0; i < 2; i++) nodes.push(await startTradehub({ redis: { url: SHARED_REDIS_URL, keyPrefix: prefix } }));
  });
  after(async () => {
    await pool.closeAll();
    for (const node of nodes) await node.close();
    await deleteKeys(SHARED_REDIS_URL, prefix);
  });

  async function publishAll(node: RunningTradehub, bidOffset: number): Promise<void> {
    const publisher = await pool.connect({ url: node.baseUrl, credentials: PUBLISHER });
    // In batches that fit the hub's 32 KiB message limit.
    for (let start = 0; start < SYMBOLS.length; start += 100) {
      await publisher.publish(SYMBOLS.slice(start, start + 100).map((symbol, i) => tradeEvents.tick(symbol, bidOffset + (start + i) / 10_000)));
    }
  }

  it('resubscribes within the message size limit, and follows every topic afterwards', async () => {
    const [nodeA, nodeB] = nodes as [RunningTradehub, RunningTradehub];
    await publishAll(nodeB, 1);
    const reader = await pool.connect({ url: [nodeA.baseUrl, nodeB.baseUrl], credentials: READER });
    const items: TopicItem[] = [];
    await reader.subscribe(Topics.allTicks('demo'), (item) => items.push(item));
    assert.equal(items.filter((item) => item.kind === 'snapshot').length, SYMBOLS.length);
    const changes: ConnectionStateChange[] = [];
    reader.on('connection', (change) => changes.push(change));

    await nodeA.close();
    nodes.shift();
    await waitUntil(() => changes.some((change) => change.state === 'connected'), 'the reconnect to node B', 10_000);
    await publishAll(nodeB, 2);
    await waitUntil(() => reader.state.ticks('demo').every((tick) => tick.bid >= 2), 'the new ticks of every symbol', 10_000);
    assert.deepEqual(changes.map((change) => change.state), ['reconnecting', 'connected'], 'one reconnect, no loop');
    assert.equal(reader.state.ticks('demo').length, SYMBOLS.length);
    assert.equal(items.filter((item) => item.kind === 'event').length, SYMBOLS.length, 'each new tick once');
    assert.deepEqual(items.filter((item) => item.kind === 'reset'), [], 'nothing was missed, so nothing starts over');
  });
});
