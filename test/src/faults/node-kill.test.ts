import assert from 'node:assert/strict';
import { ClientPool } from '../support/client-fixtures.js';
import { HubProcess } from '../support/hub-process.js';
import { deleteKeys, SHARED_REDIS_URL } from '../support/redis-server.js';
import { uniqueKeyPrefix } from '../support/tradehub-app.js';
import { waitUntil } from '../support/wait.js';
import { DeliveryLedger } from './support/delivery-ledger.js';
import { confirmWithSentinels, publishFeed, startPublisher, startReaders } from './support/fault-clients.js';
import { reportAndCheck } from './support/fault-report.js';
import { CHILD_BOUND_MIB, processRssMiB } from './support/memory.js';

const EVENTS = 240;
const READERS = 10;

describe('fault: a hub node killed (SIGKILL) while readers are on it', function () {
  this.timeout(90_000);
  const prefix = uniqueKeyPrefix();
  const nodes: HubProcess[] = [];
  const pool = new ClientPool();
  before(async () => {
    const env = { REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: prefix };
    nodes.push(...await Promise.all([HubProcess.start(env), HubProcess.start(env)]));
  });
  after(async () => {
    await pool.closeAll();
    for (const node of nodes) await node.dispose();
    await deleteKeys(SHARED_REDIS_URL, prefix);
  });

  it('the readers fail over to the other node and resume: every event once, in order; the survivor\'s memory stays near its baseline', async () => {
    const [nodeA, nodeB] = nodes as [HubProcess, HubProcess];
    const ledger = new DeliveryLedger();
    // Every reader starts on node A, with node B to fail over to.
    const readers = await startReaders(pool, ledger, [nodeA.baseUrl, nodeB.baseUrl], READERS, { spread: false });
    assert.ok(readers.every((reader) => reader.client.node === nodeA.baseUrl), 'every reader starts on node A');
    const publisher = await startPublisher(pool, [nodeB.baseUrl]);
    await publishFeed(publisher, ledger, 'warm', 1, 30, { batch: 5, pauseMs: 0 });
    const pidB = nodeB.child.pid as number;
    const rssBefore = processRssMiB(pidB);

    const publishing = publishFeed(publisher, ledger, 'kill', 31, EVENTS, { batch: 5, pauseMs: 15 });
    await waitUntil(() => ledger.storedCount() >= 90, 'events stored before the kill', 15_000);
    await nodeA.kill();
    await publishing;
    await waitUntil(() => ledger.allDelivered(), () => `every reader has every event (${ledger.missing()})`, 30_000);
    await confirmWithSentinels(publisher, ledger, 'node-kill');
    const rssAfter = processRssMiB(pidB);

    reportAndCheck('hub node SIGKILL (failover)', ledger.counts(), { beforeMiB: rssBefore, afterMiB: rssAfter, boundMiB: CHILD_BOUND_MIB, what: 'the surviving node (VmRSS)' });
    assert.ok(readers.every((reader) => reader.client.node === nodeB.baseUrl), 'every reader is on the surviving node');
    assert.ok(ledger.counts().replayed > 0, 'the readers that were on the killed node got what they missed by resume');
    assert.deepEqual(readers.flatMap((reader) => reader.resets), [], 'no topic had to start over');
  });
});
