import assert from 'node:assert/strict';
import { ClientPool, PUBLISHER, tradeEvents } from '../support/client-fixtures.js';
import { RawHubSocket, RS } from '../support/raw-socket.js';
import { SHARED_REDIS_URL } from '../support/redis-server.js';
import { clientToken, NodeGroup } from '../support/tradehub-app.js';
import { waitUntil } from '../support/wait.js';
import { DeliveryLedger } from './support/delivery-ledger.js';
import { confirmWithSentinels, publishFeed, startPublisher, startReaders } from './support/fault-clients.js';
import { reportAndCheck } from './support/fault-report.js';
import { inProcessReading, ownMemory } from './support/memory.js';

const EVENTS = 300;
/** Invocations sent at once: far more than `maximumQueuedInvocationsPerClient` (64) can wait. */
const FLOOD_CALLS = 2_000;

/** A Publish invocation of `events` as the JSON protocol frames it. */
function publishFrame(invocationId: string, events: unknown[]): string {
  return JSON.stringify({ type: 1, invocationId, target: 'Publish', arguments: [events] }) + RS;
}

/** The hub's Close message, read past everything else it sent. */
async function closeMessage(socket: RawHubSocket): Promise<Record<string, unknown>> {
  for (;;) {
    const text = await socket.nextText(20_000);
    for (const part of text.split(RS).filter((p) => p !== '')) {
      const message = JSON.parse(part) as Record<string, unknown>;
      if (message.type === 7) return message;
    }
  }
}

describe('fault: a publisher flooding past the limits', function () {
  this.timeout(90_000);
  let group: NodeGroup;
  const pool = new ClientPool();
  const sockets: RawHubSocket[] = [];
  before(async () => {
    group = await NodeGroup.start(2, SHARED_REDIS_URL);
  });
  after(async () => {
    for (const socket of sockets) socket.close();
    await pool.closeAll();
    await group?.close();
  });

  it('is refused with clear errors (too big a message or frame, too many events, too large a body) or slowed down (too many calls), while other traffic is unharmed', async () => {
    const urls = group.nodes.map((node) => node.baseUrl);
    const node = group.node(0);
    const ledger = new DeliveryLedger();
    const readers = await startReaders(pool, ledger, urls, 10);
    // The well-behaved publisher uses the node the flood hits.
    const publisher = await startPublisher(pool, [node.baseUrl]);
    await publishFeed(publisher, ledger, 'warm', 1, 30, { batch: 5, pauseMs: 0 });
    const memoryBefore = ownMemory();
    const token = await clientToken(node.baseUrl, PUBLISHER.clientId, PUBLISHER.clientSecret);
    const errors: string[] = [];
    const publishing = publishFeed(publisher, ledger, 'flood', 31, EVENTS, { batch: 5, pauseMs: 15, errors });
    await waitUntil(() => ledger.storedCount() >= 60, 'events stored before the flood', 15_000);

    // Bigger than allowed: one hub message over the 32 KiB limit closes that connection.
    const big = await RawHubSocket.open(node.tradeHubUrl, { Authorization: `Bearer ${token}` });
    sockets.push(big);
    await big.handshake();
    const ticks = Array.from({ length: 500 }, (_, i) => tradeEvents.tick('FLOODA', 1 + i / 1e4));
    big.send(publishFrame('1', ticks));
    const bigClose = await closeMessage(big);
    assert.match(String(bigClose.error), /^Connection closed with an error\. .*The maximum message size of 32768B was exceeded\.$/);

    // More calls in one WebSocket frame than the frame limit (message size + 224 KiB) allows:
    // the socket is closed with 1009 (message too big) at the frame header, nothing of it is run.
    const burst = await RawHubSocket.open(node.tradeHubUrl, { Authorization: `Bearer ${token}` });
    sockets.push(burst);
    await burst.handshake();
    let frames = '';
    for (let i = 1; i <= FLOOD_CALLS; i++) frames += publishFrame(`b${i}`, [tradeEvents.tick('FLOODB', 1 + i / 1e5)]);
    assert.ok(frames.length > 256 * 1024, `the burst (${frames.length} bytes) is over the frame limit`);
    burst.send(frames);
    const burstClose = await burst.waitClosed(20_000);
    assert.equal(burstClose.code, 1009);

    // Faster than the hub runs them: calls sent one frame each, far more than may wait to run
    // (`maximumQueuedInvocationsPerClient`, 64). The hub stops reading that connection while its
    // queue is full (backpressure, as ASP.NET), so the flood is slowed down, not buffered: every
    // call is answered, in order, and the flooder never holds more than the queue.
    const fast = await RawHubSocket.open(node.tradeHubUrl, { Authorization: `Bearer ${token}` });
    sockets.push(fast);
    await fast.handshake();
    for (let i = 1; i <= FLOOD_CALLS; i++) fast.send(publishFrame(`f${i}`, [tradeEvents.tick('FLOODE', 1 + i / 1e5)]));
    const answered: string[] = [];
    while (answered.length < FLOOD_CALLS) {
      const text = await fast.nextText(20_000);
      for (const part of text.split(RS).filter((p) => p !== '')) {
        const message = JSON.parse(part) as Record<string, unknown>;
        if (message.type === 3) {
          assert.equal(message.error, undefined, `call ${String(message.invocationId)} was refused: ${String(message.error)}`);
          answered.push(String(message.invocationId));
        }
      }
    }
    assert.deepEqual(answered, Array.from({ length: FLOOD_CALLS }, (_, i) => `f${i + 1}`), 'every call answered, in order');

    // Over REST: more events than a batch may hold, and a body over 1 MB.
    const rest = (body: string): Promise<Response> => fetch(`${node.baseUrl}/api/platforms/demo/events`, {
      method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body,
    });
    const tooMany = await rest(JSON.stringify({ events: Array.from({ length: 1_001 }, (_, i) => ({ type: 'tick', data: { symbol: 'FLOODC', bid: 1 + i / 1e5, ask: 1.1, time: Date.now() } })) }));
    const tooManyBody = await tooMany.json() as { error?: string; error_description?: string };
    assert.equal(tooMany.status, 400);
    assert.equal(tooManyBody.error, 'invalid_request');
    assert.match(String(tooManyBody.error_description), /1000|1,000/, `names the batch limit: ${tooManyBody.error_description}`);
    const tooLarge = await rest(JSON.stringify({ events: [{ type: 'tick', data: { symbol: 'FLOODD', bid: 1, ask: 1.1, time: Date.now() } }], padding: 'x'.repeat(1_100_000) }));
    assert.equal(tooLarge.status, 413);
    assert.match(await tooLarge.text(), /The request body is too large\./);

    await publishing;
    await waitUntil(() => ledger.allDelivered(), () => `every reader has every event (${ledger.missing()})`, 30_000);
    await confirmWithSentinels(publisher, ledger, 'publisher-flood');
    const memoryAfter = ownMemory();

    console.log(`[fault] publisher flood: closed ${JSON.stringify(bigClose.error)}; a ${FLOOD_CALLS}-call frame closed ${burstClose.code}; ${FLOOD_CALLS} paced calls all answered; REST ${tooMany.status} ${JSON.stringify(tooManyBody.error_description)}, ${tooLarge.status}`);
    reportAndCheck('publisher flood', ledger.counts(), inProcessReading(memoryBefore, memoryAfter, 'the test process (2 nodes, 10 readers)'));
    assert.deepEqual(errors, [], 'the well-behaved publisher on the same node was never refused');
    assert.ok(readers.every((reader) => reader.client.connectionState === 'connected' && reader.log.reconnects === 0), 'no reader lost its connection');
  });
});
