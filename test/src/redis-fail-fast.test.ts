import assert from 'node:assert/strict';
import type { RedisClientType } from 'redis';
import { api, basic, createTerminalToken, DEMO_ADMIN, DEMO_PUBLISHER, DEMO_READER, postForm, type HttpAnswer } from './support/auth-helpers.js';
import { OwnRedisServer } from './support/redis-server.js';
import { ev, range, seqs, TradeClient, withRedis } from './support/trade-helpers.js';
import { clientToken, startTradehub, uniqueKeyPrefix, type RunningTradehub } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';

/** Small, so that the test is quick; the assertions allow twice as long (a loaded machine). */
const COMMAND_TIMEOUT_MS = 1_000;
const FAIL_FAST_MS = 2 * COMMAND_TIMEOUT_MS;
const UNAVAILABLE = -32005;
/** The retryable refusal of a publish, naming why Redis could not take it. */
const unreachable = (reason: string): RegExp =>
  new RegExp(`HubException: The event store is unreachable \\(${reason}\\): 0 of 1 event\\(s\\) were confirmed stored; `);
const UNREACHABLE = unreachable('Redis is not answering');

async function readiness(node: RunningTradehub): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${node.baseUrl}/health/ready`);
  return { status: response.status, body: await response.json() };
}

/** How long a call took, and how it ended. */
async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: PromiseSettledResult<T> }> {
  const started = Date.now();
  const [result] = await Promise.allSettled([work()]);
  return { ms: Date.now() - started, result: result as PromiseSettledResult<T> };
}

function rejection(outcome: { result: PromiseSettledResult<unknown> }): Error {
  assert.equal(outcome.result.status, 'rejected', 'the call failed');
  return (outcome.result as PromiseRejectedResult).reason as Error;
}

function restPublish(node: RunningTradehub, token: string, events: unknown[]): Promise<HttpAnswer> {
  return api(node.baseUrl, '/api/platforms/demo/events', { method: 'POST', token, body: { events } });
}

function rpc(node: RunningTradehub, token: string, method: string, params: unknown): Promise<HttpAnswer> {
  return api(node.baseUrl, '/rpc', { method: 'POST', token, body: { jsonrpc: '2.0', id: 1, method, params } });
}

function assertServiceUnavailable(answer: HttpAnswer, what: string): void {
  assert.equal(answer.status, 503, `${what} answered ${answer.status}: ${answer.text}`);
  assert.equal(answer.headers.get('retry-after'), '5', `${what}: Retry-After`);
  assert.equal((answer.json as { error: string }).error, 'temporarily_unavailable', what);
}

/** Every key of the trade domain under a prefix with its content, to compare before and after a refusal. */
async function tradeKeys(client: RedisClientType, keyPrefix: string): Promise<Record<string, unknown>> {
  const keys: string[] = [];
  for await (const batch of client.scanIterator({ MATCH: `${keyPrefix}:trade:*`, COUNT: 500 })) keys.push(...batch);
  const contents: Record<string, unknown> = {};
  for (const key of keys.sort()) {
    const type = await client.type(key);
    if (type === 'string') contents[key] = await client.get(key);
    else if (type === 'hash') contents[key] = await client.hGetAll(key);
    else if (type === 'set') contents[key] = (await client.sMembers(key)).sort();
    else if (type === 'stream') contents[key] = await client.xRange(key, '-', '+');
    else contents[key] = type;
  }
  return contents;
}

describe('Redis that is frozen or refuses writes: calls fail fast with 503, nothing half-stored, then recovery', function () {
  this.timeout(60_000);
  const clients: TradeClient[] = [];
  const nodes: RunningTradehub[] = [];
  const servers: OwnRedisServer[] = [];

  afterEach(async () => {
    // Always let a frozen Redis go on, even when the test failed half-way.
    for (const server of servers) server.resume();
    await Promise.all(clients.splice(0).map((client) => client.stop()));
    for (const node of nodes.splice(0)) await node.close();
    for (const server of servers.splice(0)) await server.dispose();
  });

  async function ownRedis(extraArgs: readonly string[] = []): Promise<OwnRedisServer> {
    const server = await OwnRedisServer.start(extraArgs);
    servers.push(server);
    return server;
  }

  async function node(redis: OwnRedisServer, keyPrefix: string): Promise<RunningTradehub> {
    const started = await startTradehub({ redis: { url: redis.url, keyPrefix, commandTimeoutMs: COMMAND_TIMEOUT_MS } });
    nodes.push(started);
    return started;
  }

  async function connect(on: RunningTradehub, token: string): Promise<TradeClient> {
    const client = await TradeClient.connect(on.tradeHubUrl, token);
    clients.push(client);
    return client;
  }

  it('frozen (SIGSTOP): publishes, reads and revocations fail within the time-out, readiness 503; after SIGCONT every event arrives once, in order', async () => {
    const redis = await ownRedis();
    const keyPrefix = uniqueKeyPrefix();
    const A = await node(redis, keyPrefix);
    const B = await node(redis, keyPrefix);
    const spare = await node(redis, keyPrefix);
    const readerToken = await clientToken(A.baseUrl, DEMO_READER.id, DEMO_READER.secret);
    const publisherToken = await clientToken(B.baseUrl, DEMO_PUBLISHER.id, DEMO_PUBLISHER.secret);
    const topic = 'platforms/demo/accounts/8101';
    const dashboard = await connect(A, readerToken);
    const publisher = await connect(B, publisherToken);
    assert.equal((await dashboard.subscribeOne(topic)).seq, 0);
    const publishEvent = (n: number): Promise<unknown> => publisher.publish([ev.account('8101', n, { id: `f-${n}` })]);
    for (let n = 1; n <= 5; n++) await publishEvent(n);
    await dashboard.waitForEvents(5, topic);

    redis.freeze();
    // The first publish and subscription are sent before anyone knows: they fail once the time-out is over.
    const otherTopic = 'platforms/demo/accounts/8102';
    const [first, subscribe] = await Promise.all([timed(() => publishEvent(6)), timed(() => dashboard.subscribe([otherTopic]))]);
    assert.match(rejection(first).message, UNREACHABLE);
    assert.ok(first.ms < FAIL_FAST_MS, `the first publish failed after ${first.ms} ms`);
    // Subscribing fails clearly and retryably.
    assert.ok(subscribe.ms < FAIL_FAST_MS, `Subscribe answered after ${subscribe.ms} ms`);
    assert.deepEqual(subscribe.result.status === 'fulfilled' ? subscribe.result.value : undefined, [
      { topic: otherTopic, status: 'error', error: 'The topic cannot be read now; try again.', retryable: true },
    ]);
    // Later publishes are refused without waiting: Redis is known to be silent.
    for (const n of [7, 8]) {
      const refused = await timed(() => publishEvent(n));
      assert.match(rejection(refused).message, UNREACHABLE);
      assert.ok(refused.ms < FAIL_FAST_MS, `publish ${n} failed after ${refused.ms} ms`);
    }
    // Readiness knows within a few seconds, on both nodes, though every connection is still open.
    await waitUntil(async () => (await Promise.all([A, B].map(readiness))).every((r) => r.status === 503), 'both nodes to report not ready', 5_000);
    assert.deepEqual(await readiness(A), { status: 503, body: { status: 'not_ready', checks: { broker: true, redis: false } } });
    // REST and JSON-RPC answer 503 at once (their token check cannot reach Redis), as does a revocation.
    for (const [what, call] of [
      ['REST publish', () => restPublish(B, publisherToken, [ev.account('8101', 9, { id: 'f-rest' })])],
      ['REST read', () => api(A.baseUrl, '/api/platforms/demo/accounts/8101', { token: readerToken })],
      ['JSON-RPC read', () => rpc(A, readerToken, 'get_account_info', { platform: 'demo', login: '8101' })],
      ['revocation', () => postForm(`${A.baseUrl}/connect/revocation`, { token: readerToken }, { Authorization: basic(DEMO_READER.id, DEMO_READER.secret) })],
    ] as const) {
      const answer = await timed(call);
      assert.ok(answer.ms < FAIL_FAST_MS, `${what} answered after ${answer.ms} ms`);
      assert.equal(answer.result.status, 'fulfilled');
      assertServiceUnavailable((answer.result as PromiseFulfilledResult<HttpAnswer>).value, what);
    }

    // A node shuts down without waiting for the silent Redis.
    nodes.splice(nodes.indexOf(spare), 1);
    const closing = await timed(() => spare.close());
    assert.equal(closing.result.status, 'fulfilled');
    assert.ok(closing.ms < 3 * FAIL_FAST_MS, `a node closed after ${closing.ms} ms`);

    redis.resume();
    await waitUntil(async () => (await Promise.all([A, B].map(readiness))).every((r) => r.status === 200), 'both nodes to be ready again', 10_000);
    // The refused events are retried with their ids, as the error asks: the first may have been
    // stored once Redis went on (it had been sent), the others were never sent.
    const retried = [];
    for (const n of [6, 7, 8, 9, 10]) retried.push(await publisher.publish([ev.account('8101', n, { id: `f-${n}` })]));
    assert.deepEqual(retried.map((result) => result.results[0]?.seq), [6, 7, 8, 9, 10]);
    const events = await dashboard.waitForEvents(10, topic, 10_000);
    await waitUntil(async () => (await rpc(A, readerToken, 'get_account_info', { platform: 'demo', login: '8101' })).status === 200, 'JSON-RPC to answer');
    assert.deepEqual(seqs(events), range(1, 10));
    assert.deepEqual(events.map((event) => event.id), range(1, 10).map((n) => `f-${n}`));
    assert.equal(dashboard.events.length, 10, 'each event once');
    assert.deepEqual(dashboard.resyncs, []);
    // The SUBSCRIBE that timed out was answered once Redis went on: subscribed again, the topic
    // delivers, each event once (f-11, on the same channel connection, comes after f-other).
    assert.equal((await dashboard.subscribeOne(otherTopic)).seq, 0);
    await publisher.publish([ev.account('8102', 1, { id: 'f-other' })]);
    await publishEvent(11);
    await dashboard.waitForEvents(11, topic);
    assert.deepEqual(dashboard.eventsOf(otherTopic).map((event) => event.id), ['f-other']);
  });

  it('out of memory (noeviction): publishes answered 503 with nothing half-stored, reads and token writes 503 / unavailable code; publishing goes on at the next seq once memory is freed', async () => {
    const redis = await ownRedis(['--maxmemory', '4mb', '--maxmemory-policy', 'noeviction']);
    const keyPrefix = uniqueKeyPrefix();
    const A = await node(redis, keyPrefix);
    const readerToken = await clientToken(A.baseUrl, DEMO_READER.id, DEMO_READER.secret);
    const publisherToken = await clientToken(A.baseUrl, DEMO_PUBLISHER.id, DEMO_PUBLISHER.secret);
    const adminToken = await clientToken(A.baseUrl, DEMO_ADMIN.id, DEMO_ADMIN.secret);
    const terminal = await createTerminalToken(A.baseUrl, adminToken, { name: 'desk 8201', platform: 'demo', login: '8201' });
    const topic = 'platforms/demo/accounts/8201';
    const dashboard = await connect(A, readerToken);
    const publisher = await connect(A, publisherToken);
    assert.equal((await dashboard.subscribeOne(topic)).seq, 0);
    for (let n = 1; n <= 3; n++) await publisher.publish([ev.account('8201', n, { id: `m-${n}` })]);
    await dashboard.waitForEvents(3, topic);

    await withRedis(redis.url, async (admin) => {
      // Fill Redis up to its limit with keys of the test's own.
      const filler = 'x'.repeat(32 * 1024);
      for (let n = 0; ; n++) {
        try {
          await admin.set(`${keyPrefix}:filler:${n}`, filler);
        } catch (error) {
          assert.match((error as Error).message, /^OOM /);
          break;
        }
        assert.ok(n < 1_000, 'Redis reached its memory limit');
      }
      const before = await tradeKeys(admin, keyPrefix);

      // Hub publish: the retryable refusal, for an event with an id and one without (whose first write differs).
      await assert.rejects(publisher.publish([ev.account('8201', 4, { id: 'm-4' })]), unreachable('Redis is out of memory'));
      await assert.rejects(publisher.publish([ev.account('8201', 4)]), unreachable('Redis is out of memory'));
      assertServiceUnavailable(await restPublish(A, publisherToken, [ev.account('8201', 4, { id: 'm-4' })]), 'REST publish');
      // Reads that would have to create a topic's epoch: 503 and the JSON-RPC unavailability code, never 500 / -32603.
      assertServiceUnavailable(await api(A.baseUrl, '/api/platforms/demo/accounts/8299', { token: readerToken }), 'REST read');
      const read = await rpc(A, readerToken, 'get_account_info', { platform: 'demo', login: '8299' });
      assert.equal(read.status, 200);
      assert.equal((read.json as { error: { code: number } }).error.code, UNAVAILABLE, read.text);
      const [subscribed] = await dashboard.subscribe(['platforms/demo/accounts/8299']);
      assert.deepEqual(subscribed, {
        topic: 'platforms/demo/accounts/8299', status: 'error', error: 'The topic cannot be read now; try again.', retryable: true,
      });
      // Token writes: a revocation (RFC 7009) and a terminal token.
      assertServiceUnavailable(await postForm(`${A.baseUrl}/connect/revocation`, { token: readerToken }, {
        Authorization: basic(DEMO_READER.id, DEMO_READER.secret),
      }), 'revocation');
      assertServiceUnavailable(await api(A.baseUrl, '/api/tokens', {
        method: 'POST', token: adminToken, body: { name: 'desk', platform: 'demo', login: '8201' },
      }), 'terminal token creation');
      // Reads of what exists go on, also with a terminal token (whose last-use stamp cannot be written): Redis refuses writes only.
      assert.equal((await api(A.baseUrl, '/api/platforms/demo/accounts/8201', { token: readerToken })).status, 200);
      const terminalRead = await api(A.baseUrl, '/api/platforms/demo/accounts/8201', { token: terminal.token });
      assert.equal(terminalRead.status, 200, terminalRead.text);

      assert.deepEqual(await tradeKeys(admin, keyPrefix), before, 'no key of the trade domain changed');

      const fillers: string[] = [];
      for await (const batch of admin.scanIterator({ MATCH: `${keyPrefix}:filler:*`, COUNT: 500 })) fillers.push(...batch);
      await admin.del(fillers);
    });
    const next = await publisher.publish([ev.account('8201', 4, { id: 'm-4' })]);
    assert.deepEqual(next.results, [{ topic, seq: 4, duplicate: false }]);
    const events = await dashboard.waitForEvents(4, topic);
    assert.deepEqual(seqs(events), [1, 2, 3, 4]);
    assert.deepEqual(events.map((event) => event.id), ['m-1', 'm-2', 'm-3', 'm-4']);
    assert.equal((await rpc(A, readerToken, 'get_account_info', { platform: 'demo', login: '8299' })).status, 200);
    assert.equal((await postForm(`${A.baseUrl}/connect/revocation`, { token: readerToken }, {
      Authorization: basic(DEMO_READER.id, DEMO_READER.secret),
    })).status, 200);
  });

  it('a read-only replica (READONLY): publishes answered 503 and the retryable hub error; writable again, publishing goes on', async () => {
    const redis = await ownRedis();
    const primary = await ownRedis();
    const keyPrefix = uniqueKeyPrefix();
    const A = await node(redis, keyPrefix);
    const publisherToken = await clientToken(A.baseUrl, DEMO_PUBLISHER.id, DEMO_PUBLISHER.secret);
    const publisher = await connect(A, publisherToken);
    assert.equal((await publisher.publish([ev.account('8301', 1, { id: 'r-1' })])).results[0]?.seq, 1);

    await withRedis(redis.url, async (admin) => {
      // The node's Redis becomes a replica of another (empty) one, and refuses writes.
      await admin.sendCommand(['REPLICAOF', '127.0.0.1', String(primary.port)]);
      await waitUntil(async () => /master_link_status:up/.test(await admin.info('replication')), 'the replica to be in sync', 10_000);
      await assert.rejects(publisher.publish([ev.account('8301', 2, { id: 'r-2' })]), unreachable('Redis is a read-only replica'));
      const rest = await restPublish(A, publisherToken, [ev.account('8301', 2, { id: 'r-2' })]);
      assertServiceUnavailable(rest, 'REST publish');
      assert.match((rest.json as { error_description: string }).error_description, /^The event store is unreachable \(Redis is a read-only replica\): /);
      await admin.sendCommand(['REPLICAOF', 'NO', 'ONE']);
    });
    // The replica took the (empty) data of its primary: the topic starts again in a new epoch.
    assert.deepEqual((await publisher.publish([ev.account('8301', 2, { id: 'r-2' })])).results, [
      { topic: 'platforms/demo/accounts/8301', seq: 1, duplicate: false },
    ]);
  });
});
