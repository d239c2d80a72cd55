import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type RedisClientType } from 'redis';
import { OwnRedisServer } from './support/redis-server.js';
import { ev, publishSentinel, range, seqs, TradeClient, withRedis } from './support/trade-helpers.js';
import { waitUntil } from './support/wait.js';
import { clientToken, startTradehub, uniqueKeyPrefix, type RunningTradehub } from './support/tradehub-app.js';

const OUTAGE_MS = 10_000;

/** Three nodes on a redis-server of the test's own, which the test stops for 10 s and starts again. */
describe('trade hub: Redis unreachable for 10 s', function () {
  this.timeout(60_000);
  let redis: OwnRedisServer;
  const keyPrefix = uniqueKeyPrefix();
  const nodes: RunningTradehub[] = [];
  let A: RunningTradehub;
  let B: RunningTradehub;
  let C: RunningTradehub;
  let readerToken: string;
  let publisherToken: string;
  const clients: TradeClient[] = [];

  before(async () => {
    redis = await OwnRedisServer.start();
    for (let i = 0; i < 3; i++) nodes.push(await startTradehub({ redis: { url: redis.url, keyPrefix } }));
    [A, B, C] = nodes as [RunningTradehub, RunningTradehub, RunningTradehub];
    readerToken = await clientToken(A.baseUrl, 'demo-reader', 'demo-reader-secret');
    publisherToken = await clientToken(A.baseUrl, 'demo-publisher', 'demo-publisher-secret');
  });
  /** Set while the test has Redis stopped, so that a failed test does not leave it down for the next one. */
  let redisStopped = false;
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.stop()));
    if (redisStopped) {
      await redis.start();
      redisStopped = false;
      await waitUntil(async () => (await Promise.all(nodes.map(readiness))).every((r) => r.status === 200), 'the nodes to be ready', 10_000);
    }
  });
  after(async () => {
    await Promise.all(clients.splice(0).map((client) => client.stop()));
    for (const node of nodes) await node.close();
    await redis?.dispose();
  });

  async function connect(node: RunningTradehub, token: string): Promise<TradeClient> {
    const client = await TradeClient.connect(node.tradeHubUrl, token);
    clients.push(client);
    return client;
  }

  async function readiness(node: RunningTradehub): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${node.baseUrl}/health/ready`);
    return { status: response.status, body: await response.json() };
  }

  const numsub = (channel: string): Promise<number> =>
    withRedis(redis.url, async (client) => Number(Object.values(await client.pubSubNumSub(channel))[0] ?? 0));

  it('refuses publishes clearly, answers 503 on readiness, then recovers by itself: exact delivery, channels and SignalR sends', async () => {
    const topic = 'platforms/demo/accounts/7101';
    const dashboard = await connect(A, readerToken);
    const bot = await connect(B, readerToken);
    const publisher = await connect(C, publisherToken);
    for (const client of [dashboard, bot]) assert.equal((await client.subscribeOne(topic)).seq, 0);
    const late = await connect(C, readerToken);
    const messages: string[] = [];
    bot.connection.on('Msg', (text: string) => messages.push(text));
    await A.app.tradeHub.groups.add(await bot.connectionId(), 'desk');
    for (const node of nodes) assert.deepEqual(await readiness(node), { status: 200, body: { status: 'ready', checks: { broker: true, redis: true } } });

    const accepted: string[] = [];
    let next = 1;
    const publishOne = async (): Promise<void> => {
      const id = `e-${next++}`;
      await publisher.publish([ev.account('7101', next, { id })]);
      accepted.push(id);
    };
    for (let i = 0; i < 20; i++) await publishOne();
    await dashboard.waitForEvents(20);

    await redis.stop();
    redisStopped = true;
    const outageStarted = Date.now();
    await waitUntil(async () => (await Promise.all(nodes.map(readiness))).every((r) => r.status === 503), 'every node to report not ready');
    assert.deepEqual(await readiness(A), { status: 503, body: { status: 'not_ready', checks: { broker: false, redis: false } } });

    // A group change for a connection on another node fails at once and leaves nothing behind: no
    // acknowledgement timer that fails later (the root hooks catch unhandled rejections).
    const changeStarted = Date.now();
    await assert.rejects(B.app.tradeHub.groups.add(await dashboard.connectionId(), 'outage-group'));
    await assert.rejects(C.app.tradeHub.groups.remove(await bot.connectionId(), 'desk'));
    assert.ok(Date.now() - changeStarted < 1_000, 'refused at once');

    // During the outage: publishes are refused with a clear error, by the hub and by REST; subscribing fails clearly too.
    let refused = 0;
    while (Date.now() - outageStarted < OUTAGE_MS - 1_000) {
      await assert.rejects(publishOne(), (error: Error) => {
        assert.match(error.message,
          /^An unexpected error occurred invoking 'Publish' on the server\. HubException: The event store is unreachable \(Redis [^)]*\): 0 of 1 event\(s\) were confirmed stored; /);
        return true;
      });
      refused++;
      await sleep(250); // a pace, so that the refusals spread over the outage
    }
    // REST is refused as well (by its token check, which reads revocations from Redis, before the event store is tried).
    const rest = await fetch(`${B.baseUrl}/api/platforms/demo/events`, {
      method: 'POST',
      headers: { 'Authorization': `Bearer ${publisherToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ events: [{ type: 'account', id: 'rest-1', data: ev.account('7101', 1).data }] }),
    });
    assert.equal(rest.status, 503, `REST publish answered ${rest.status}`);
    assert.equal(rest.headers.get('retry-after'), '5');
    assert.deepEqual(await rest.json(), { error: 'temporarily_unavailable', error_description: 'Tokens cannot be checked right now; retry shortly.' });
    // So is a new hub connection's negotiate, with the same clear answer.
    const negotiate = await fetch(`${B.tradeHubUrl}/negotiate?negotiateVersion=1`, { method: 'POST', headers: { Authorization: `Bearer ${publisherToken}` } });
    assert.equal(negotiate.status, 503);
    const [failed] = await late.subscribe([topic]);
    assert.deepEqual(failed, { topic, status: 'error', error: 'The topic cannot be read now; try again.', retryable: true });
    // Time itself is the subject: the outage lasts OUTAGE_MS whatever the test observed meanwhile.
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - outageStarted)));

    await redis.start();
    redisStopped = false;
    await waitUntil(async () => (await Promise.all(nodes.map(readiness))).every((r) => r.status === 200), 'every node to be ready again', 10_000);
    // The nodes subscribed again by themselves: to the topic (A and B) and to the group channel (B).
    await waitUntil(async () => (await numsub(`${keyPrefix}:trade:events:{${topic}}`)) === 2, 'the topic channel on A and B', 5_000);
    assert.equal(await numsub(`${keyPrefix}:hub:trade:group:desk`), 1);

    for (let i = 0; i < 20; i++) await publishOne();
    assert.ok(refused >= 20, `${refused} refused publishes`);
    assert.equal(accepted.length, 40);
    // Sentinel: events of the topic arrive in order, so a refused event delivered late would come before it.
    const sentinel = await publishSentinel(publisher, ev.account('7101', 0));
    for (const client of [dashboard, bot]) {
      const events = await client.eventsBefore(sentinel, 10_000);
      assert.equal(events.length, 40, 'exactly the accepted events, none of the refused ones');
      assert.deepEqual(seqs(events), range(1, 40));
      assert.deepEqual(events.map((e) => e.id), accepted);
      assert.deepEqual(client.resyncs, []);
    }

    // SignalR sends across nodes work again, and new subscriptions too.
    await A.app.tradeHub.clients.group('desk').send('Msg', 'to the desk');
    await C.app.tradeHub.clients.all.send('Msg', 'to all');
    await waitUntil(() => messages.length >= 2, 'the group and all messages');
    assert.deepEqual(messages, ['to the desk', 'to all']);
    const again = await late.subscribeOne(topic);
    assert.equal(again.seq, 41, 'the accepted events and the sentinel');
    assert.equal(again.epoch, dashboard.events[0]?.epoch, 'Redis kept its data: the same epoch');
  });

  it('subscribers catch up from history on the events published while their nodes\' subscriptions were cut', async () => {
    const topic = 'platforms/demo/ticks/CUT';
    const dashboard = await connect(A, readerToken);
    const bot = await connect(B, readerToken);
    await dashboard.subscribe([topic]);
    // The bot follows every symbol: the topic, and one that first appears while it cannot hear.
    const [wildcard] = await bot.subscribe(['platforms/demo/ticks/*']);
    assert.equal(wildcard?.status, 'wildcard');
    const publisher = await connect(C, publisherToken);
    for (let n = 1; n <= 20; n++) await publisher.publish([ev.tick('CUT', n)]);
    await dashboard.waitForEvents(20);
    await bot.waitForEvents(20);
    // Only the pub/sub connections are cut, and kept out for a while by a password that only
    // connections opened earlier (the nodes' command connections) do not need. The 10 events
    // published meanwhile are stored while no node hears the topic's channel, and no later event
    // reveals the gap: only the catch-up after resubscribing can deliver them.
    const admin: RedisClientType = createClient({ url: redis.url });
    admin.on('error', () => undefined);
    await admin.connect();
    try {
      await admin.configSet('requirepass', 'closed-for-a-while');
      const cut = await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
      assert.ok(Number(cut) >= 3, `${String(cut)} pub/sub connections cut`);
      await publisher.publish(range(21, 30).map((n) => ev.tick('CUT', n)));
      await publisher.publish(range(1, 3).map((n) => ev.tick('NEWSYM', n)));
      // No connection subscribes to the channel, so Redis handed these events to no node: whatever
      // arrives of them later came from the catch-up.
      assert.deepEqual(await admin.pubSubNumSub(`${keyPrefix}:trade:events:{${topic}}`), { [`${keyPrefix}:trade:events:{${topic}}`]: 0 });
    } finally {
      await admin.configSet('requirepass', '');
      await admin.close();
    }
    for (const client of [dashboard, bot]) await client.waitForEvents(30, topic, 10_000);
    const newTopic = 'platforms/demo/ticks/NEWSYM';
    await bot.waitForEvents(3, newTopic, 10_000);
    // Sentinels, once everything arrived: one publisher's events reach a connection in the order
    // published, so a duplicate from the catch-up would come before them.
    const cutSentinel = await publishSentinel(publisher, ev.tick('CUT', 31));
    const newSentinel = await publishSentinel(publisher, ev.tick('NEWSYM', 4));
    for (const client of [dashboard, bot]) {
      const events = (await client.eventsBefore(cutSentinel, 10_000)).filter((e) => e.topic === topic);
      assert.deepEqual(seqs(events), range(1, 30));
      assert.deepEqual(events.map((e) => e.type === 'tick' && e.data.bid), range(1, 30));
      assert.deepEqual(client.resyncs, []);
    }
    assert.deepEqual((await dashboard.eventsBefore(cutSentinel)).length, 30);
    const bots = (await bot.eventsBefore(newSentinel)).filter((e) => e.id !== cutSentinel);
    assert.deepEqual(seqs(bots.filter((e) => e.topic === newTopic)), [1, 2, 3]);
    assert.equal(bots.length, 33);
  });

  it('Redis losing its data is a new epoch: subscribers get OnResync without waiting for an event, and ingest goes on', async () => {
    const topic = 'platforms/demo/accounts/7301';
    const dashboard = await connect(A, readerToken);
    const bot = await connect(B, readerToken);
    const { epoch } = await dashboard.subscribeOne(topic);
    await bot.subscribe(['platforms/demo/accounts/*']);
    const admin: RedisClientType = createClient({ url: redis.url });
    admin.on('error', () => undefined);
    await admin.connect();
    try {
      const ingest = (balance: number) => admin.xAdd(`${keyPrefix}:ingest`, '*', { events: JSON.stringify([ev.account('7301', balance)]) });
      await ingest(1);
      await ingest(2);
      assert.deepEqual(seqs(await dashboard.waitForEvents(2, topic)), [1, 2]);

      // As a restart without persistence would: every key gone, every connection cut.
      await admin.flushAll();
      await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
      await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes']);
      const notice = { topic, reason: 'epoch_changed' };
      await waitUntil(() => dashboard.resyncs.length > 0 && bot.resyncs.some((r) => r.topic === topic), 'OnResync for the topic', 10_000);
      assert.deepEqual(dashboard.resyncs, [notice]);
      assert.deepEqual(bot.resyncs.filter((r) => r.topic === topic), [notice]);
      await waitUntil(async () => (await Promise.all(nodes.map(readiness))).every((r) => r.status === 200), 'every node to be ready again', 10_000);

      const fresh = await dashboard.subscribeOne(topic);
      assert.equal(fresh.status, 'snapshot');
      assert.notEqual(fresh.epoch, epoch);
      assert.equal(fresh.seq, 0);
      // The ingest stream is read again, from the new epoch's first seq.
      await ingest(3);
      const events = await dashboard.waitForEvents(3, topic, 10_000);
      assert.deepEqual(events.slice(2).map((e) => [e.epoch, e.seq]), [[fresh.epoch, 1]]);
      assert.equal(events[2]?.type === 'account' && events[2].data.balance, 3);
    } finally {
      await admin.close();
    }
  });
});
