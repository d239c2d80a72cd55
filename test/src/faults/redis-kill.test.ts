import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClientPool } from '../support/client-fixtures.js';
import { OwnRedisServer } from '../support/redis-server.js';
import { NodeGroup } from '../support/tradehub-app.js';
import { waitUntil } from '../support/wait.js';
import { DeliveryLedger } from './support/delivery-ledger.js';
import { confirmWithSentinels, FAULT_LOGINS, publishFeed, startPublisher, startReaders } from './support/fault-clients.js';
import { reportAndCheck } from './support/fault-report.js';
import { inProcessReading, ownMemory } from './support/memory.js';

const EVENTS = 240;

describe('fault: Redis killed (SIGKILL) mid-stream and restarted', function () {
  this.timeout(90_000);
  let redis: OwnRedisServer;
  let group: NodeGroup;
  const pool = new ClientPool();
  before(async () => {
    redis = await OwnRedisServer.start();
    group = await NodeGroup.start(2, redis.url);
  });
  after(async () => {
    await pool.closeAll();
    await redis?.ensureRunning(); // the nodes' clean-up deletes their keys
    await group?.close();
    await redis?.dispose();
  });

  it('every reader ends with every stored event once, in order; memory back near its baseline', async () => {
    const urls = group.nodes.map((node) => node.baseUrl);
    const ledger = new DeliveryLedger();
    const readers = await startReaders(pool, ledger, urls, 10);
    const publisher = await startPublisher(pool, urls);
    const stats = { slowestBatchMs: 0 };
    await publishFeed(publisher, ledger, 'warm', 1, 30, { batch: 5, pauseMs: 0 });
    const memoryBefore = ownMemory();

    const publishing = publishFeed(publisher, ledger, 'kill', 31, EVENTS, { batch: 5, pauseMs: 15, stats });
    await waitUntil(() => ledger.storedCount() >= 90, 'events stored before the kill', 15_000);
    const storedAtKill = ledger.storedCount();
    await redis.kill();
    await sleep(1_500); // the outage lasts this long
    await redis.start();
    await publishing;
    await waitUntil(() => ledger.allDelivered(), () => `every reader has every event (${ledger.missing()})`, 30_000);
    await confirmWithSentinels(publisher, ledger, 'redis-kill');
    const memoryAfter = ownMemory();

    reportAndCheck('redis SIGKILL + restart', ledger.counts(), inProcessReading(memoryBefore, memoryAfter, 'the test process (2 nodes, 10 readers)'));
    assert.equal(ledger.storedCount(), EVENTS + FAULT_LOGINS.length, 'every event was stored once in the end');
    assert.ok(storedAtKill < EVENTS, 'the kill landed mid-stream');
    assert.ok(stats.slowestBatchMs >= 1_000, `a batch waited out the outage (slowest ${stats.slowestBatchMs} ms): the kill hit the stream`);
    assert.deepEqual(readers.flatMap((reader) => reader.resets), [], 'no topic had to start over: AOF kept the history');
  });
});
