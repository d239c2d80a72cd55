import assert from 'node:assert/strict';
import { ClientPool } from '../support/client-fixtures.js';
import { SHARED_REDIS_URL } from '../support/redis-server.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { NodeGroup } from '../support/tradehub-app.js';
import { waitUntil } from '../support/wait.js';
import { DeliveryLedger } from './support/delivery-ledger.js';
import { confirmWithSentinels, FAULT_LOGINS, publishFeed, startPublisher, startReaders } from './support/fault-clients.js';
import { reportAndCheck } from './support/fault-report.js';
import { inProcessReading, ownMemory } from './support/memory.js';

const EVENTS = 300;
const READERS = 10;
const CUTS = 3;

describe('fault: client sockets dropped (TCP connections cut) while streaming', function () {
  this.timeout(90_000);
  let group: NodeGroup;
  const proxies: TcpProxy[] = [];
  const pool = new ClientPool();
  before(async () => {
    group = await NodeGroup.start(2, SHARED_REDIS_URL);
    for (const node of group.nodes) proxies.push(await TcpProxy.start(Number(new URL(node.baseUrl).port)));
  });
  after(async () => {
    await pool.closeAll();
    for (const proxy of proxies) await proxy.close();
    await group?.close();
  });

  it('readers and the publisher reconnect and resume: every event once, in order', async () => {
    const urls = proxies.map((proxy) => `http://127.0.0.1:${proxy.port}`);
    const ledger = new DeliveryLedger();
    // Half resume the same connection by SignalR stateful reconnect, half get a new one and resume by (epoch, seq).
    const stateful = await startReaders(pool, ledger, urls, READERS / 2, { statefulReconnect: true });
    const resuming = await startReaders(pool, ledger, urls, READERS / 2, { statefulReconnect: false });
    const readers = [...stateful, ...resuming];
    const publisher = await startPublisher(pool, urls);
    await publishFeed(publisher, ledger, 'warm', 1, 30, { batch: 5, pauseMs: 0 });
    const memoryBefore = ownMemory();

    const publishing = publishFeed(publisher, ledger, 'drop', 31, EVENTS, { batch: 5, pauseMs: 15 });
    const accepted = (): number => proxies.reduce((sum, proxy) => sum + proxy.accepted, 0);
    for (let cut = 1; cut <= CUTS; cut++) {
      await waitUntil(() => ledger.storedCount() >= 30 + cut * 60, `events stored before cut ${cut}`, 15_000);
      const acceptedBefore = accepted();
      for (const proxy of proxies) proxy.cut();
      // Each reader (and the publisher) opens a new socket: a stateful reconnect or a new connection.
      await waitUntil(() => accepted() >= acceptedBefore + READERS + 1 && readers.every((reader) => reader.client.connectionState === 'connected'),
        `every client back after cut ${cut}`, 15_000);
    }
    await publishing;
    await waitUntil(() => ledger.allDelivered(), () => `every reader has every event (${ledger.missing()})`, 30_000);
    await confirmWithSentinels(publisher, ledger, 'socket-drop');
    const memoryAfter = ownMemory();

    reportAndCheck(`client sockets cut ${CUTS}x`, ledger.counts(), inProcessReading(memoryBefore, memoryAfter, 'the test process (2 nodes, 10 readers)'));
    assert.equal(ledger.storedCount(), EVENTS + FAULT_LOGINS.length, 'every event and sentinel was stored once');
    assert.ok(resuming.every((reader) => reader.log.reconnects >= CUTS), 'every reader without stateful reconnect got a new connection after each cut');
    assert.ok(ledger.counts().replayed > 0, 'events missed while cut off came by resume');
    assert.deepEqual(readers.flatMap((reader) => reader.resets), [], 'no topic had to start over');
  });
});
