import assert from 'node:assert/strict';
import { HubMethodError, type TradehubClient } from '@tradehub/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClientPool, PUBLISHER } from '../support/client-fixtures.js';
import { OwnRedisServer } from '../support/redis-server.js';
import { NodeGroup } from '../support/tradehub-app.js';
import { waitUntil } from '../support/wait.js';
import { DeliveryLedger } from './support/delivery-ledger.js';
import { confirmWithSentinels, FAULT_LOGINS, describeError, feedEvent, publishFeed, publishUntilStored, startPublisher, startReaders } from './support/fault-clients.js';
import { reportAndCheck } from './support/fault-report.js';
import { inProcessReading, ownMemory } from './support/memory.js';

const EVENTS = 240;
const COMMAND_TIMEOUT_MS = 1_000;
/** Well past the command time-out, and past the publisher's 5 s request time-out. */
const FREEZE_MS = 6_000;

/** What a single Publish (no retry) got while Redis was frozen. */
interface Probe {
  elapsedMs: number;
  error: unknown;
  readyStatus: number | string;
  readyElapsedMs: number;
}

describe('fault: Redis frozen (SIGSTOP) past the command time-outs, then SIGCONT', function () {
  this.timeout(90_000);
  let redis: OwnRedisServer;
  let group: NodeGroup;
  const pool = new ClientPool();
  let probe: Probe | undefined;
  before(async () => {
    redis = await OwnRedisServer.start();
    group = await NodeGroup.start(2, redis.url, { redisCommandTimeoutMs: COMMAND_TIMEOUT_MS });
  });
  after(async () => {
    redis?.resume(); // never leave a stopped redis-server behind
    await pool.closeAll();
    await group?.close();
    await redis?.dispose();
  });

  it('every reader ends with every stored event once, in order, after the freeze', async () => {
    const urls = group.nodes.map((node) => node.baseUrl);
    const ledger = new DeliveryLedger();
    const readers = await startReaders(pool, ledger, urls, 10);
    const publisher = await startPublisher(pool, urls);
    const single = await pool.connect({ url: urls[0] as string, credentials: PUBLISHER, timeouts: { connectMs: 5_000, requestMs: FREEZE_MS * 3 } });
    await publishFeed(publisher, ledger, 'warm', 1, 30, { batch: 5, pauseMs: 0 });
    const memoryBefore = ownMemory();

    const errors: string[] = [];
    const stats = { slowestBatchMs: 0 };
    const publishing = publishFeed(publisher, ledger, 'freeze', 31, EVENTS, { batch: 5, pauseMs: 15, errors, stats });
    await waitUntil(() => ledger.storedCount() >= 90, 'events stored before the freeze', 15_000);
    const probeEvent = feedEvent('freeze-probe', 1);
    try {
      redis.freeze();
      const probing = probeOnce(single, probeEvent, `${urls[0] as string}/health/ready`);
      await sleep(FREEZE_MS); // the freeze lasts this long
      redis.resume();
      probe = await probing;
    } finally {
      redis.resume();
    }
    // Refused or not, its outcome is unknown to the publisher (Redis may run the script after SIGCONT): the same id again.
    await publishUntilStored(publisher, ledger, [probeEvent]);
    await publishing;
    await waitUntil(() => ledger.allDelivered(), () => `every reader has every event (${ledger.missing()})`, 30_000);
    await confirmWithSentinels(publisher, ledger, 'redis-freeze');
    const memoryAfter = ownMemory();

    console.log(`[fault] redis SIGSTOP: a Publish while frozen ${probe.error ? `failed after ${probe.elapsedMs} ms: ${describeError(probe.error)}` : `succeeded after ${probe.elapsedMs} ms`}; `
      + `/health/ready answered ${probe.readyStatus} after ${probe.readyElapsedMs} ms; publisher retries ${errors.length}`);
    reportAndCheck('redis SIGSTOP + SIGCONT', ledger.counts(), inProcessReading(memoryBefore, memoryAfter, 'the test process (2 nodes, 10 readers)'));
    assert.equal(ledger.storedCount(), EVENTS + 1 + FAULT_LOGINS.length, 'every event, the probe included, was stored once in the end');
    assert.ok(stats.slowestBatchMs >= COMMAND_TIMEOUT_MS, `a batch was held up by the freeze (slowest ${stats.slowestBatchMs} ms)`);
    assert.deepEqual(readers.flatMap((reader) => reader.resets), [], 'no topic had to start over');
  });

  it('while frozen, a Publish fails fast with a retryable error and /health/ready answers 503, within the command time-out', function () {
    assert.ok(probe, 'the scenario above ran');
    assert.ok(probe.error instanceof HubMethodError, `a hub error, not ${describeError(probe.error)}`);
    assert.equal(probe.error.retryable, true, 'retryable: the publisher sends the same ids again');
    assert.ok(probe.elapsedMs < COMMAND_TIMEOUT_MS + 2_000, `answered after ${probe.elapsedMs} ms (command time-out ${COMMAND_TIMEOUT_MS} ms)`);
    assert.equal(probe.readyStatus, 503);
    assert.ok(probe.readyElapsedMs < COMMAND_TIMEOUT_MS + 2_000, `/health/ready answered after ${probe.readyElapsedMs} ms`);
  });
});

/** One Publish without retry and one readiness check, timed, while Redis is frozen. */
async function probeOnce(client: TradehubClient, event: ReturnType<typeof feedEvent>, readyUrl: string): Promise<Probe> {
  // Readiness follows a probe that runs about once a second: ask until it says 503 (a measurement
  // bounded by the freeze, not a wait that could pass silently: the status is asserted).
  const readyStarted = Date.now();
  const ready = (async (): Promise<{ status: number | string; elapsedMs: number }> => {
    let status: number | string = 'not asked';
    while (Date.now() - readyStarted < FREEZE_MS - 500) {
      try {
        status = (await fetch(readyUrl, { signal: AbortSignal.timeout(FREEZE_MS) })).status;
      } catch (error) {
        status = describeError(error);
      }
      if (status !== 200) break;
      await sleep(50);
    }
    return { status, elapsedMs: Date.now() - readyStarted };
  })();
  const started = Date.now();
  let error: unknown;
  try {
    await client.publish([event], { retry: false, timeoutMs: FREEZE_MS * 3 });
  } catch (caught) {
    error = caught;
  }
  const elapsedMs = Date.now() - started;
  const readiness = await ready;
  return { elapsedMs, error, readyStatus: readiness.status, readyElapsedMs: readiness.elapsedMs };
}
