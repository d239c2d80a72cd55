import assert from 'node:assert/strict';
import { ConnectionClosedError, ConnectionLostError, Topics, type ConnectionStateChange, type TradeEnvelope } from '@tradehub/client';
import { ClientPool, PUBLISHER, READER, tradeEvents } from './support/client-fixtures.js';
import { waitUntil } from './support/wait.js';
import { startTradehub, type RunningTradehub } from './support/tradehub-app.js';

const LOGIN = '6201';

describe('client: a server that closes the connection for good', function () {
  this.timeout(20_000);
  let hub: RunningTradehub;
  const pool = new ClientPool();
  before(async () => {
    hub = await startTradehub();
  });
  after(async () => {
    await pool.closeAll();
    await hub.close();
  });

  it('reconnects by itself after a Close without allowReconnect, and the subscription goes on without a gap', async () => {
    const reader = await pool.connect({ url: hub.baseUrl, credentials: READER });
    const publisher = await pool.connect({ url: hub.baseUrl, credentials: PUBLISHER });
    const received: TradeEnvelope[] = [];
    await reader.subscribe(Topics.account('demo', LOGIN), (item) => {
      if (item.kind === 'event') received.push(item.event);
    });
    await publisher.publish(Array.from({ length: 5 }, (_, i) => tradeEvents.deal(LOGIN, i + 1, `close-${i + 1}`)));
    await waitUntil(() => received.length === 5, 'five deals');
    const changes: ConnectionStateChange[] = [];
    reader.on('connection', (change) => changes.push(change));

    // A message over the hub's 32 KiB limit: the server closes the connection with an error, and no allowReconnect.
    const oversized = Array.from({ length: 300 }, (_, i) => tradeEvents.deal(LOGIN, 1_000 + i, `too-big-${i}`));
    await assert.rejects(reader.hub.invoke('Publish', oversized), ConnectionLostError);
    await waitUntil(() => changes.some((change) => change.state === 'connected'), 'the client to reconnect itself', 10_000);
    assert.ok(changes[0]?.reason instanceof ConnectionClosedError);
    assert.match(changes[0].reason.message, /was closed: Connection closed with an error\. InvalidDataException/);

    // Publishing splits what the hub would refuse as one message into batches it takes.
    const result = await publisher.publish(Array.from({ length: 300 }, (_, i) => tradeEvents.deal(LOGIN, 6 + i, `close-${6 + i}`)));
    assert.equal(result.results.length, 300);
    await waitUntil(() => received.length === 305, 'every deal');
    assert.deepEqual(received.map((e) => e.seq), Array.from({ length: 305 }, (_, i) => i + 1));
    assert.equal(publisher.connectionState, 'connected');
  });
});
