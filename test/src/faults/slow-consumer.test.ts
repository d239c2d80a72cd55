import assert from 'node:assert/strict';
import { Topics, type TradeEventInput } from '@tradehub/client';
import { ClientPool, READER } from '../support/client-fixtures.js';
import { SHARED_REDIS_URL } from '../support/redis-server.js';
import { clientToken, NodeGroup } from '../support/tradehub-app.js';
import { waitUntil } from '../support/wait.js';
import { DeliveryLedger } from './support/delivery-ledger.js';
import { confirmWithSentinels, FAULT_TOPICS, publishFeed, publishUntilStored, startPublisher, startReaders } from './support/fault-clients.js';
import { reportAndCheck } from './support/fault-report.js';
import { inProcessReading, ownMemory } from './support/memory.js';
import { RawTradeReader } from './support/raw-trade-reader.js';

const READERS = 100;
/** The heavy topic: platform status events with long reasons, to fill a slow reader's buffers quickly. */
const STATUS_TOPIC = Topics.status('demo');
const BUFFER_LIMIT = 256 * 1024;
/** Status events at most: far past the limit plus the kernel's socket buffers, under the history length (10,000). */
const MAX_HEAVY = 8_000;

function statusEvent(n: number): TradeEventInput {
  return {
    type: 'platform.status', platformId: 'demo', id: `slow-status-${n}`,
    data: { state: 'connected', reason: `${n} `.padEnd(480, 'x'), time: Date.now() },
  };
}

describe('fault: 1% slow consumers (1 reader of 100 stops reading its socket)', function () {
  this.timeout(120_000);
  let group: NodeGroup;
  const pool = new ClientPool();
  let slow: RawTradeReader | undefined;
  let again: RawTradeReader | undefined;
  before(async () => {
    group = await NodeGroup.start(2, SHARED_REDIS_URL, { hubOptions: { maximumBufferedBytesPerClient: BUFFER_LIMIT } });
  });
  after(async () => {
    slow?.close();
    again?.close();
    await pool.closeAll();
    await group?.close();
  });

  it('the others get everything; the slow one is disconnected (reconnect allowed), resumes, and server memory stays bounded', async () => {
    const urls = group.nodes.map((node) => node.baseUrl);
    const node = group.node(0);
    const ledger = new DeliveryLedger();
    const allTopics = [...FAULT_TOPICS, STATUS_TOPIC];
    const readers = await startReaders(pool, ledger, urls, READERS - 3);
    const witnesses = await startReaders(pool, ledger, urls, 2, { topics: allTopics });
    const slowLog = ledger.reader('slow', allTopics);
    const token = await clientToken(node.baseUrl, READER.clientId, READER.clientSecret);
    slow = await RawTradeReader.open(node.tradeHubUrl, token, slowLog);
    await slow.subscribe(allTopics);
    const publisher = await startPublisher(pool, urls);
    await publishFeed(publisher, ledger, 'warm', 1, 30, { batch: 5, pauseMs: 0 });
    await slow.readWhile(() => FAULT_TOPICS.some((topic) => slowLog.distinct(topic) < ledger.storedCount(topic)), 10_000);
    const memoryBefore = ownMemory();

    slow.raw.socket.pause();
    const slowId = slow.connectionId;
    const slowConnection = () => [...node.app.tradeHub.connections.all()].find((connection) => connection.connectionId === slowId);
    assert.ok(slowConnection(), 'the slow reader is a connection of node 0');
    // What the node holds for the slow reader, sampled after each round of publishing.
    let maxBuffered = 0;
    let heavy = 0;
    let normal = 30;
    for (let connection = slowConnection(); connection; connection = slowConnection()) {
      maxBuffered = Math.max(maxBuffered, connection.bufferedBytes);
      if (heavy >= MAX_HEAVY) throw new Error(`the slow reader was still connected after ${heavy} status events`);
      await publishUntilStored(publisher, ledger, Array.from({ length: 40 }, (_, i) => statusEvent(heavy + i + 1)));
      heavy += 40;
      await publishFeed(publisher, ledger, 'live', normal + 1, normal + 5, { batch: 5, pauseMs: 0 });
      normal += 5;
    }
    // Other traffic goes on after the slow reader is gone.
    await publishFeed(publisher, ledger, 'live', normal + 1, normal + 60, { batch: 5, pauseMs: 5 });
    const others = ledger.readers.filter((reader) => reader !== slowLog);
    await waitUntil(() => others.every((reader) => reader.topics.every((topic) => reader.distinct(topic) >= ledger.storedCount(topic))),
      () => `every other reader has every event (${ledger.missing()})`, 60_000);

    slow.raw.socket.resume();
    const close = await slow.readUntilClose(20_000);
    assert.deepEqual(close, { type: 7, error: 'The client did not read its messages fast enough.', allowReconnect: true });
    // Allowed to reconnect: a new connection resumes from the last (epoch, seq) it read.
    slowLog.reconnected();
    again = await RawTradeReader.open(node.tradeHubUrl, token, slowLog);
    for (const [topic, position] of slow.positions) again.positions.set(topic, position);
    const resumed = await again.subscribe(allTopics);
    assert.deepEqual(resumed.map((result) => result.status), allTopics.map(() => 'resumed'), 'the slow reader resumes every topic');
    await waitUntil(() => ledger.allDelivered(), () => `the slow reader has every event too (${ledger.missing()})`, 10_000);
    // Sentinels on every topic end the scenario: a late duplicate would arrive before them. The raw
    // reader reads only when asked, so it reads until it has its sentinel on every topic. Its target
    // is counted now: the ledger learns of the sentinels only once the hub answers their publish,
    // and until then "every reader has every stored event" already holds (it held above), so a
    // condition on the ledger alone would let the raw reader stop before reading anything.
    const withSentinels = new Map(allTopics.map((topic) => [topic, ledger.storedCount(topic) + 1]));
    const sentinels = confirmWithSentinels(publisher, ledger, 'slow-consumer', [statusEvent(MAX_HEAVY + 1)]);
    await again.readWhile(() => allTopics.some((topic) => slowLog.distinct(topic) < (withSentinels.get(topic) ?? 0)), 30_000);
    await sentinels;
    const memoryAfter = ownMemory();

    console.log(`[fault] slow consumer: disconnected after ${heavy} status events (~${Math.round((heavy * 560) / 1024)} KiB) with a ${BUFFER_LIMIT / 1024} KiB buffer limit; `
      + `the node held at most ${Math.round(maxBuffered / 1024)} KiB for it`);
    reportAndCheck('1% slow consumers (1 of 100)', ledger.counts(), inProcessReading(memoryBefore, memoryAfter, 'the test process (2 nodes, 100 readers)'));
    assert.ok(slowLog.replayed > 0, 'the slow reader got what it missed by resume');
    // Checked before each send: at most the limit plus what one round of publishing adds (41 events, under 32 KiB each way).
    assert.ok(maxBuffered <= BUFFER_LIMIT + 64 * 1024, `the node held ${maxBuffered} bytes for the slow reader (limit ${BUFFER_LIMIT})`);
    assert.deepEqual([...readers, ...witnesses].flatMap((reader) => reader.resets), [], 'no topic had to start over');
  });
});
