import assert from 'node:assert/strict';
import { HubMethodError } from '@tradehub/client';
import { createClient } from 'redis';
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
/** How long Redis refuses writes. */
const OOM_MS = 3_000;
const FILLER_BYTES = 256 * 1024;

type RedisClient = ReturnType<typeof createClient>;

describe('fault: Redis refusing writes (maxmemory + noeviction, filled until OOM, then freed)', function () {
  this.timeout(90_000);
  let redis: OwnRedisServer;
  let group: NodeGroup;
  const pool = new ClientPool();
  let probe: { elapsedMs: number; error: unknown } | undefined;
  /** Events stored while Redis was over its maxmemory (by the hub's answers). */
  let storedWhileFull: number | undefined;
  before(async () => {
    redis = await OwnRedisServer.start(['--maxmemory', '24mb', '--maxmemory-policy', 'noeviction']);
    group = await NodeGroup.start(2, redis.url, { redisCommandTimeoutMs: COMMAND_TIMEOUT_MS });
  });
  after(async () => {
    await pool.closeAll();
    await group?.close();
    await redis?.dispose();
  });

  it('through a full Redis and after it is freed, every event is stored once (refused ones retried with their ids); readers get each once, in order', async () => {
    const urls = group.nodes.map((node) => node.baseUrl);
    const ledger = new DeliveryLedger();
    const readers = await startReaders(pool, ledger, urls, 10);
    const publisher = await startPublisher(pool, urls);
    const single = await pool.connect({ url: urls[0] as string, credentials: PUBLISHER, timeouts: { connectMs: 5_000, requestMs: 15_000 } });
    await publishFeed(publisher, ledger, 'warm', 1, 30, { batch: 5, pauseMs: 0 });
    const memoryBefore = ownMemory();

    const errors: string[] = [];
    const publishing = publishFeed(publisher, ledger, 'oom', 31, EVENTS, { batch: 5, pauseMs: 15, errors });
    await waitUntil(() => ledger.storedCount() >= 90, 'events stored before Redis fills up', 15_000);
    const filler: RedisClient = createClient({ url: redis.url });
    filler.on('error', () => undefined);
    await filler.connect();
    const fillerKeys: string[] = [];
    const probeEvent = feedEvent('oom-probe', 1);
    try {
      await fillUntilOom(filler, `${group.prefix}:filler`, fillerKeys);
      // The feed publishes one batch at a time: a batch Redis took just before it filled may be
      // answered after the fill. Counted from the feed's first refusal, nothing is in flight.
      await waitUntil(() => errors.length > 0, 'the feed publisher to meet the full Redis', 15_000);
      const storedAtOom = ledger.storedCount();
      const started = Date.now();
      let error: unknown;
      try {
        await single.publish([probeEvent], { retry: false, timeoutMs: 15_000 });
      } catch (caught) {
        error = caught;
      }
      probe = { elapsedMs: Date.now() - started, error };
      await sleep(OOM_MS); // Redis stays full this long
      storedWhileFull = ledger.storedCount() - storedAtOom;
    } finally {
      if (fillerKeys.length > 0) await filler.del(fillerKeys);
      await filler.close();
    }
    await publishUntilStored(publisher, ledger, [probeEvent]);
    await publishing;
    await waitUntil(() => ledger.allDelivered(), () => `every reader has every event (${ledger.missing()})`, 30_000);
    await confirmWithSentinels(publisher, ledger, 'redis-oom');
    const memoryAfter = ownMemory();

    console.log(`[fault] redis OOM: a Publish while full ${probe.error ? `failed after ${probe.elapsedMs} ms: ${describeError(probe.error)}` : `succeeded after ${probe.elapsedMs} ms`}; `
      + `events stored while full ${storedWhileFull}; publisher errors ${errors.length}${errors[0] ? ` (first: ${errors[0]})` : ''}`);
    reportAndCheck('redis OOM (noeviction) + freed', ledger.counts(), inProcessReading(memoryBefore, memoryAfter, 'the test process (2 nodes, 10 readers)'));
    assert.equal(ledger.storedCount(), EVENTS + 1 + FAULT_LOGINS.length, 'every event, the probe included, was stored once in the end');
    assert.deepEqual(readers.flatMap((reader) => reader.resets), [], 'no topic had to start over');
  });

  // The publish script declares itself a write script (`#!lua`), so Redis refuses it before it
  // starts while over maxmemory: nothing of the event is stored.
  it('while Redis is full, a Publish is refused before its first write, at once, with a retryable error that says Redis is out of memory', function () {
    assert.ok(probe, 'the scenario above ran');
    assert.equal(storedWhileFull, 0, 'nothing was stored while Redis was full (the feed publisher retried its refused batches)');
    assert.ok(probe.error instanceof HubMethodError, `a hub error, not ${describeError(probe.error)}`);
    assert.equal(probe.error.retryable, true);
    assert.match(probe.error.message, /Redis is out of memory/);
    assert.ok(probe.elapsedMs < COMMAND_TIMEOUT_MS + 2_000, `answered after ${probe.elapsedMs} ms`);
  });
});

/** Writes big values until Redis answers OOM; the keys written are pushed to `keys`. */
async function fillUntilOom(client: RedisClient, prefix: string, keys: string[]): Promise<void> {
  const value = 'x'.repeat(FILLER_BYTES);
  for (let i = 0; i < 1_000; i++) {
    const key = `${prefix}:${i}`;
    try {
      await client.set(key, value);
      keys.push(key);
    } catch (error) {
      if (!/OOM/.test(describeError(error))) throw error;
      // The refused value's query buffer counted towards used memory and is freed now, which could
      // leave room for a small write: keep Redis well over its limit, still with the filler's data.
      const used = /used_memory:(\d+)/.exec(await client.info('memory'))?.[1];
      if (used === undefined) throw new Error('no used_memory in INFO');
      await client.configSet('maxmemory', String(Number(used) - 4 * 1024 * 1024));
      return;
    }
  }
  throw new Error('Redis never refused a write: is maxmemory set?');
}
