import assert from 'node:assert/strict';
import { Topics, type ConnectionStateChange, type TradeEnvelope } from '@tradehub/client';
import { ClientPool, PUBLISHER, READER, tradeEvents } from './support/client-fixtures.js';
import { waitUntil } from './support/wait.js';
import { HubProcess } from './support/hub-process.js';
import { deleteKeys, SHARED_REDIS_URL } from './support/redis-server.js';
import { uniqueKeyPrefix } from './support/tradehub-app.js';

const LOGIN = '8101';
const TOPIC = Topics.account('demo', LOGIN);
const EVENTS = 150;

describe('client: failover to another node when one is killed mid-stream', function () {
  this.timeout(60_000);
  const prefix = uniqueKeyPrefix();
  const nodes: HubProcess[] = [];
  const pool = new ClientPool();
  before(async () => {
    for (let i = 0; i < 2; i++) nodes.push(await HubProcess.start({ REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: prefix }));
  });
  after(async () => {
    await pool.closeAll();
    for (const node of nodes) await node.dispose();
    await deleteKeys(SHARED_REDIS_URL, prefix);
  });

  it('resumes on the surviving node with every event once, in order', async () => {
    const [nodeA, nodeB] = nodes as [HubProcess, HubProcess];
    const reader = await pool.connect({ url: [nodeA.baseUrl, nodeB.baseUrl], credentials: READER });
    assert.equal(reader.node, nodeA.baseUrl);
    const changes: ConnectionStateChange[] = [];
    reader.on('connection', (change) => changes.push(change));
    const publisher = await pool.connect({ url: nodeB.baseUrl, credentials: PUBLISHER });

    const received: TradeEnvelope[] = [];
    const kinds: string[] = [];
    let finalVolume: number | undefined;
    const stream = reader.events(TOPIC);
    const reading = (async () => {
      for await (const item of stream) {
        kinds.push(item.kind);
        if (item.kind === 'event') received.push(item.event);
        if (received.length === EVENTS) {
          finalVolume = reader.state.account('demo', LOGIN)?.positions[0]?.volume;
          break;
        }
      }
    })();
    await waitUntil(() => stream.started, 'the subscription');
    const publishing = (async () => {
      for (let n = 1; n <= EVENTS; n++) {
        await publisher.publish([tradeEvents.position(LOGIN, '900001', 10_000 + n, `kill-${n}`)]);
        await new Promise((resolve) => setTimeout(resolve, 5)); // a pace, so that the kill falls mid-stream
      }
    })();
    await waitUntil(() => received.length >= 40, '40 events before the kill', 10_000);
    await nodeA.kill();
    await publishing;
    await waitUntil(() => received.length === EVENTS, `all ${EVENTS} events`, 15_000);
    await reading;

    assert.deepEqual(received.map((e) => e.seq), Array.from({ length: EVENTS }, (_, i) => i + 1));
    assert.deepEqual(received.map((e) => e.id), Array.from({ length: EVENTS }, (_, i) => `kill-${i + 1}`));
    assert.deepEqual(kinds.filter((kind) => kind !== 'event'), ['snapshot'], 'no reset: the missed events were replayed');
    assert.equal(reader.node, nodeB.baseUrl);
    assert.deepEqual(changes.map((c) => c.state), ['reconnecting', 'connected']);
    assert.equal(changes[1]?.node, nodeB.baseUrl);
    assert.equal(finalVolume, 10_000 + EVENTS, 'the local state followed every event');
    assert.equal(reader.state.account('demo', LOGIN), undefined, 'a topic nobody subscribes to is forgotten');
  });
});
