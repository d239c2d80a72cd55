import assert from 'node:assert/strict';
import { Topics, type TopicItem } from '@tradehub/client';
import { createClient } from 'redis';
import { ClientPool, PUBLISHER, READER, tradeEvents } from './support/client-fixtures.js';
import { waitUntil } from './support/wait.js';
import { deleteKeys, SHARED_REDIS_URL } from './support/redis-server.js';
import { startTradehub, uniqueKeyPrefix, type RunningTradehub } from './support/tradehub-app.js';

const LOGIN = '6101';
const TOPIC = Topics.account('demo', LOGIN);

describe("client: a topic's history reset (new epoch)", function () {
  this.timeout(20_000);
  const prefix = uniqueKeyPrefix();
  let hub: RunningTradehub;
  const pool = new ClientPool();
  before(async () => {
    hub = await startTradehub({ redis: { url: SHARED_REDIS_URL, keyPrefix: prefix } });
  });
  after(async () => {
    await pool.closeAll();
    await hub.close();
    await deleteKeys(SHARED_REDIS_URL, prefix);
  });

  /** Forgets a topic in Redis, as a lost or flushed store would: its next event starts a new epoch. */
  async function forgetTopic(topic: string): Promise<void> {
    const redis = createClient({ url: SHARED_REDIS_URL });
    await redis.connect();
    try {
      await redis.del(['seq', 'epoch', 'history', 'state'].map((kind) => `${prefix}:trade:${kind}:{${topic}}`));
    } finally {
      await redis.close();
    }
  }

  it('tells the consumer with a reset, then a snapshot of the new epoch, and goes on from it', async () => {
    const reader = await pool.connect({ url: hub.baseUrl, credentials: READER });
    const publisher = await pool.connect({ url: hub.baseUrl, credentials: PUBLISHER });
    await publisher.publish([tradeEvents.position(LOGIN, '61', 10_000, 'e1-1')]);
    const items: Array<TopicItem<typeof TOPIC>> = [];
    await reader.subscribe(TOPIC, (item) => items.push(item));
    await publisher.publish([tradeEvents.position(LOGIN, '62', 20_000, 'e1-2')]);
    await waitUntil(() => items.length === 2, 'the first event');
    const oldEpoch = reader.state.position(TOPIC)?.epoch;

    await forgetTopic(TOPIC);
    await publisher.publish([tradeEvents.position(LOGIN, '63', 30_000, 'e2-1'), tradeEvents.account(LOGIN, 900, 'e2-2')]);
    await waitUntil(() => reader.state.position(TOPIC)?.seq === 2 && reader.state.position(TOPIC)?.epoch !== oldEpoch, 'the new epoch');
    await publisher.publish([tradeEvents.position(LOGIN, '63', 0, 'e2-3')]);
    await waitUntil(() => reader.state.position(TOPIC)?.seq === 3, 'the event after the reset');

    const kinds = items.map((item) => item.kind === 'event' ? `event ${item.event.epoch === oldEpoch ? 'old' : 'new'} ${item.event.seq}` : item.kind);
    const reset = kinds.indexOf('reset');
    assert.deepEqual(kinds.slice(0, reset + 2), ['snapshot', 'event old 2', 'reset', 'snapshot']);
    const resetItem = items[reset];
    assert.ok(resetItem?.kind === 'reset');
    assert.equal(resetItem.reason, 'epoch_changed');
    const snapshot = items[reset + 1];
    assert.ok(snapshot?.kind === 'snapshot' && snapshot.epoch !== oldEpoch);
    // The snapshot holds the new epoch's events up to its seq; the events after it follow, each once.
    assert.deepEqual(kinds.slice(reset + 2), Array.from({ length: 3 - snapshot.seq }, (_, i) => `event new ${snapshot.seq + i + 1}`));
    const view = reader.state.account('demo', LOGIN);
    assert.deepEqual(view?.positions, [], 'only the new epoch counts: the old positions are gone, 63 closed');
    assert.equal(view?.account?.balance, 900);
  });
});
