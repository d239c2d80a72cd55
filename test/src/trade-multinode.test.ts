import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResyncNotice, TopicStreamItem } from '@tradehub/shared';
import { StreamReader } from './support/streams.js';
import { withSecondTenant } from './support/http-api.js';
import { deleteKeys, SHARED_REDIS_URL } from './support/redis-server.js';
import { ev, range, resetTopic, seqs, subscribedTopics, TradeClient, withRedis } from './support/trade-helpers.js';
import { waitUntil } from './support/wait.js';
import { clientToken, startTradehub, uniqueKeyPrefix, type RunningTradehub } from './support/tradehub-app.js';

/** Three nodes sharing the machine's Redis under a key prefix of their own. */
describe('trade hub across three nodes through Redis', function () {
  this.timeout(30_000);
  const keyPrefix = uniqueKeyPrefix();
  const nodes: RunningTradehub[] = [];
  let A: RunningTradehub;
  let B: RunningTradehub;
  let C: RunningTradehub;
  let readerToken: string;
  let publisherToken: string;
  const clients: TradeClient[] = [];

  before(async () => {
    for (let i = 0; i < 3; i++) nodes.push(await startTradehub({ config: withSecondTenant, redis: { url: SHARED_REDIS_URL, keyPrefix } }));
    [A, B, C] = nodes as [RunningTradehub, RunningTradehub, RunningTradehub];
    // Nodes sharing a Redis share the signing secret: a token works on every node.
    readerToken = await clientToken(A.baseUrl, 'demo-reader', 'demo-reader-secret');
    publisherToken = await clientToken(B.baseUrl, 'demo-publisher', 'demo-publisher-secret');
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.stop()));
  });
  after(async () => {
    for (const node of nodes) await node.close();
    await deleteKeys(SHARED_REDIS_URL, keyPrefix);
  });

  async function connect(node: RunningTradehub, token: string): Promise<TradeClient> {
    const client = await TradeClient.connect(node.tradeHubUrl, token);
    clients.push(client);
    return client;
  }

  const numsub = (channel: string): Promise<number> =>
    withRedis(SHARED_REDIS_URL, async (client) => Number(Object.values(await client.pubSubNumSub(channel))[0] ?? 0));
  const topicChannel = (topic: string): string => `${keyPrefix}:trade:events:{${topic}}`;

  describe('SignalR targets', () => {
    it('all, all-except, connection, connections, group(s), group-except, user and users reach connections on every node', async () => {
      const a1 = await connect(A, readerToken);
      const b1 = await connect(B, readerToken);
      const c1 = await connect(C, publisherToken);
      const b2 = await connect(B, publisherToken);
      const everyone = { a1, b1, c1, b2 };
      const received: Record<string, string[]> = { a1: [], b1: [], c1: [], b2: [] };
      for (const [name, client] of Object.entries(everyone)) client.connection.on('Msg', (text: string) => received[name]?.push(text));
      const [idA1, idB1, idC1, idB2] = await Promise.all([a1, b1, c1, b2].map((client) => client.connectionId())) as [string, string, string, string];
      const a = A.app.tradeHub;
      const b = B.app.tradeHub;
      const c = C.app.tradeHub;

      /** Ends a round with a message to all, which arrives after every earlier message of the round. */
      let rounds = 0;
      async function round(send: () => Promise<void>): Promise<Record<string, string[]>> {
        for (const list of Object.values(received)) list.length = 0;
        await send();
        const marker = `end-${++rounds}`;
        await c.clients.all.send('Msg', marker);
        await waitUntil(() => Object.values(received).every((list) => list.includes(marker)), marker);
        return Object.fromEntries(Object.entries(received).map(([name, list]) => [name, list.filter((text) => text !== marker)]));
      }

      assert.deepEqual(await round(() => a.clients.all.send('Msg', 'all')), { a1: ['all'], b1: ['all'], c1: ['all'], b2: ['all'] });
      assert.deepEqual(await round(() => c.clients.allExcept([idB1, idA1]).send('Msg', 'others')), { a1: [], b1: [], c1: ['others'], b2: ['others'] });
      assert.deepEqual(await round(() => b.clients.client(idA1).send('Msg', 'to a1')), { a1: ['to a1'], b1: [], c1: [], b2: [] });
      assert.deepEqual(await round(() => a.clients.client(idB2).send('Msg', 'to b2')), { a1: [], b1: [], c1: [], b2: ['to b2'] });
      assert.deepEqual(await round(() => b.clients.clients([idA1, idC1, idB2]).send('Msg', 'some')), { a1: ['some'], b1: [], c1: ['some'], b2: ['some'] });

      // Group changes for a connection on another node are applied there and acknowledged.
      await A.app.tradeHub.groups.add(idB1, 'g1');
      await C.app.tradeHub.groups.add(idA1, 'g2');
      await B.app.tradeHub.groups.add(idC1, 'g2');
      assert.equal(await numsub(`${keyPrefix}:hub:trade:group:g1`), 1, 'only the node with a member listens to a group');
      assert.equal(await numsub(`${keyPrefix}:hub:trade:group:g2`), 2);
      assert.deepEqual(await round(() => c.clients.group('g1').send('Msg', 'g1')), { a1: [], b1: ['g1'], c1: [], b2: [] });
      assert.deepEqual(await round(() => a.clients.group('g2').send('Msg', 'g2')), { a1: ['g2'], b1: [], c1: ['g2'], b2: [] });
      assert.deepEqual(await round(() => b.clients.groups(['g1', 'g2']).send('Msg', 'g1+g2')), { a1: ['g1+g2'], b1: ['g1+g2'], c1: ['g1+g2'], b2: [] });
      assert.deepEqual(await round(() => a.clients.groupExcept('g2', [idC1]).send('Msg', 'g2-c1')), { a1: ['g2-c1'], b1: [], c1: [], b2: [] });
      assert.deepEqual(await round(() => a.clients.user('demo-reader').send('Msg', 'readers')), { a1: ['readers'], b1: ['readers'], c1: [], b2: [] });
      assert.deepEqual(await round(() => b.clients.users(['demo-reader', 'demo-publisher']).send('Msg', 'users')), {
        a1: ['users'], b1: ['users'], c1: ['users'], b2: ['users'],
      });

      // Removed from another node: no more delivery, and the node stops listening to the group.
      await C.app.tradeHub.groups.remove(idB1, 'g1');
      await A.app.tradeHub.groups.remove(idC1, 'g2');
      assert.deepEqual(await round(async () => {
        await a.clients.group('g1').send('Msg', 'g1 again');
        await b.clients.group('g2').send('Msg', 'g2 again');
      }), { a1: ['g2 again'], b1: [], c1: [], b2: [] });
      assert.equal(await numsub(`${keyPrefix}:hub:trade:group:g1`), 0);
      assert.equal(await numsub(`${keyPrefix}:hub:trade:group:g2`), 1);

      // A group change for a connection no node has fails clearly once no node answered.
      await assert.rejects(B.app.tradeHub.groups.add('no-such-connection', 'g1'), {
        message: "No node acknowledged the group change for connection 'no-such-connection' within 5000 ms.",
      });

      // A user's connection that closed gets nothing more; the other one still does.
      await a1.stop();
      delete received.a1;
      assert.deepEqual(await round(() => c.clients.user('demo-reader').send('Msg', 'readers again')), { b1: ['readers again'], c1: [], b2: [] });
    });
  });

  describe('topics', () => {
    it('only nodes with subscribers subscribe to a topic\'s channel', async () => {
      const topic = 'platforms/demo/ticks/CHAN';
      assert.deepEqual(await subscribedTopics(SHARED_REDIS_URL, keyPrefix), []);
      const pub = await connect(C, publisherToken);
      await pub.publish([ev.tick('CHAN', 1)]);
      assert.deepEqual(await subscribedTopics(SHARED_REDIS_URL, keyPrefix), [], 'publishing subscribes to nothing');
      const a1 = await connect(A, readerToken);
      const a2 = await connect(A, readerToken);
      const b1 = await connect(B, readerToken);
      await a1.subscribe([topic]);
      assert.deepEqual(await subscribedTopics(SHARED_REDIS_URL, keyPrefix), [topic]);
      assert.equal(await numsub(topicChannel(topic)), 1);
      await a2.subscribe([topic]);
      assert.equal(await numsub(topicChannel(topic)), 1, 'one subscription per node, however many consumers');
      await b1.subscribe([topic]);
      assert.equal(await numsub(topicChannel(topic)), 2);
      await pub.publish([ev.tick('CHAN', 2)]);
      for (const client of [a1, a2, b1]) assert.deepEqual(seqs(await client.waitForEvents(1)), [2]);

      await a1.unsubscribe([topic]);
      assert.equal(await numsub(topicChannel(topic)), 2, 'A still has a consumer');
      await a2.stop();
      await waitUntil(async () => (await numsub(topicChannel(topic))) === 1, 'A to unsubscribe once its last consumer left');
      await b1.unsubscribe([topic]);
      assert.equal(await numsub(topicChannel(topic)), 0);
      assert.deepEqual(await subscribedTopics(SHARED_REDIS_URL, keyPrefix), []);
    });

    it('an event id is stored once across nodes: the same id again answers duplicate with the first seq', async () => {
      const topic = 'platforms/demo/accounts/9101';
      const watcher = await connect(A, readerToken);
      await watcher.subscribe([topic]);
      const onB = await connect(B, publisherToken);
      const onC = await connect(C, publisherToken);
      const first = ev.account('9101', 100, { id: 'acc-9101-1' });
      assert.deepEqual(await onB.publish([first]), { results: [{ topic, seq: 1, duplicate: false }] });
      // The same id with other content: the stored event stands.
      assert.deepEqual(await onC.publish([ev.account('9101', 999, { id: 'acc-9101-1' })]), { results: [{ topic, seq: 1, duplicate: true }] });
      assert.deepEqual(await onC.publish([first, ev.account('9101', 200, { id: 'acc-9101-2' }), ev.account('9101', 200, { id: 'acc-9101-2' })]), {
        results: [{ topic, seq: 1, duplicate: true }, { topic, seq: 2, duplicate: false }, { topic, seq: 2, duplicate: true }],
      });
      const rest = await fetch(`${A.baseUrl}/api/platforms/demo/events`, {
        method: 'POST',
        headers: { 'Authorization': `Bearer ${publisherToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ events: [{ type: 'account', id: 'acc-9101-2', data: first.data }] }),
      });
      assert.deepEqual(await rest.json(), { results: [{ topic, seq: 2, duplicate: true }] });
      // Ids are per platform: the same id on another platform is another event.
      assert.deepEqual(await onB.publish([ev.account('9101', 1, { id: 'acc-9101-1' }, 'demo-b')]), {
        results: [{ topic: 'platforms/demo-b/accounts/9101', seq: 1, duplicate: false }],
      });
      await onB.publish([ev.account('9101', 300)]);
      const events = await watcher.eventsBeforeSentinel(onB, ev.account('9101', 400));
      assert.deepEqual(seqs(events), [1, 2, 3]);
      assert.deepEqual(events.map((e) => e.type === 'account' && e.data.balance), [100, 200, 300]);
      const snapshot = await (await connect(C, readerToken)).subscribeOne(topic);
      assert.equal(snapshot.seq, 4, 'three events and the sentinel');
    });

    it('500 events of one login published in rapid batches arrive in source order, with consecutive seqs, on two other nodes', async () => {
      const topics = ['platforms/demo/accounts/9201', 'platforms/demo/accounts/9202'];
      const dashboard = await connect(A, readerToken);
      const bot = await connect(B, readerToken);
      for (const client of [dashboard, bot]) await client.subscribe(topics);
      const kinds = [
        (login: string, n: number) => ev.account(login, n, { id: `${login}-${n}` }),
        (login: string, n: number) => ev.position(login, String(n % 7), n, { id: `${login}-${n}` }),
        (login: string, n: number) => ev.order(login, String(n % 5), 'placed', { id: `${login}-${n}` }),
        (login: string, n: number) => ev.deal(login, String(n), { id: `${login}-${n}` }),
      ];
      const source = (login: string) => range(1, 500).map((n) => (kinds[n % kinds.length] as (l: string, n: number) => Record<string, unknown>)(login, n));
      // One publisher per login, on C and on A, at once; each sends 50 batches of 10 without waiting for answers.
      const publishers = [await connect(C, publisherToken), await connect(A, publisherToken)];
      await Promise.all(publishers.map((publisher, index) => {
        const events = source(index === 0 ? '9201' : '9202');
        return Promise.all(range(0, 49).map((batch) => publisher.publish(events.slice(batch * 10, batch * 10 + 10))));
      }));
      // A sentinel per topic, after its 500 events: a topic's events reach a connection in order, so
      // a duplicate would arrive before the sentinel, which would then not be the 501st.
      await Promise.all(publishers.map((publisher, index) => publisher.publish([ev.account(index === 0 ? '9201' : '9202', 0, { id: `sentinel-${index}` })])));
      for (const client of [dashboard, bot]) {
        for (const [index, topic] of topics.entries()) {
          const events = await client.waitForEvents(501, topic, 10_000);
          assert.equal(events.at(-1)?.id, `sentinel-${index}`);
          assert.deepEqual(seqs(events.slice(0, 500)), range(1, 500));
          const login = index === 0 ? '9201' : '9202';
          assert.deepEqual(events.slice(0, 500).map((e) => e.id), range(1, 500).map((n) => `${login}-${n}`));
        }
      }
      assert.equal(dashboard.events.length, 1002);
      assert.equal(bot.events.length, 1002);
    });

    it('StreamTopic on one node streams what a publisher on another node sends', async () => {
      const topic = 'platforms/demo/ticks/STREAMX';
      const pub = await connect(C, publisherToken);
      await pub.publish([ev.tick('STREAMX', 1)]);
      const reader = await connect(A, readerToken);
      const stream = new StreamReader<TopicStreamItem>(reader.connection.stream('StreamTopic', topic));
      const [first] = await stream.waitForItems(1);
      assert.ok(first && 'status' in first && first.status === 'snapshot' && first.seq === 1, JSON.stringify(first));
      await pub.publish(range(2, 30).map((n) => ev.tick('STREAMX', n)));
      const items = await stream.waitForItems(30);
      assert.deepEqual(items.slice(1).map((item) => 'seq' in item && item.seq), range(2, 30));
      stream.dispose();
      await waitUntil(async () => (await numsub(topicChannel(topic))) === 0, 'A to leave the channel once the stream ended');
    });

    it('a client that moves to another node resumes with exactly the events it missed, then live ones', async () => {
      const topic = 'platforms/demo/accounts/9301';
      const pub = await connect(C, publisherToken);
      const first = await connect(A, readerToken);
      await first.subscribeOne(topic);
      await pub.publish(range(1, 10).map((n) => ev.account('9301', n)));
      const seen = await first.waitForEvents(10, topic);
      await first.stop();
      await pub.publish(range(11, 25).map((n) => ev.account('9301', n)));
      const last = seen.at(-1);
      assert.ok(last);
      const moved = await connect(B, readerToken);
      const resumed = await moved.subscribeOne(topic, { [topic]: { epoch: last.epoch, seq: last.seq } });
      assert.ok(resumed.status === 'resumed', JSON.stringify(resumed).slice(0, 200));
      assert.deepEqual(seqs(resumed.events), range(11, 25));
      assert.deepEqual(resumed.events.map((e) => e.type === 'account' && e.data.balance), range(11, 25));
      await pub.publish(range(26, 30).map((n) => ev.account('9301', n)));
      assert.deepEqual(seqs(await moved.eventsBeforeSentinel(pub, ev.account('9301', 31))), range(26, 30));
    });

    it('the official client\'s automatic reconnect, resubscribing with its position, misses nothing and gets nothing twice', async () => {
      const topic = 'platforms/demo/accounts/9501';
      const pub = await connect(C, publisherToken);
      const client = await TradeClient.connect(A.tradeHubUrl, readerToken, { automaticReconnect: true });
      clients.push(client);
      const replayed: number[] = [];
      let last = { epoch: '', seq: 0 };
      const track = () => {
        const latest = client.eventsOf(topic).at(-1);
        return latest ? { epoch: latest.epoch, seq: latest.seq } : last;
      };
      const first = await client.subscribeOne(topic);
      last = { epoch: first.epoch, seq: first.seq };
      let resubscribed: Promise<void> | undefined;
      client.connection.onreconnected(() => {
        last = track();
        resubscribed = client.subscribeOne(topic, { [topic]: last }).then((result) => {
          assert.equal(result.status, 'resumed');
          if (result.status === 'resumed') replayed.push(...seqs(result.events));
        });
      });
      const oldId = await client.connectionId();
      const publishing = (async () => {
        for (let n = 1; n <= 100; n++) {
          await pub.publish([ev.account('9501', n)]);
          await sleep(2); // a pace, so that the drop falls mid-stream
        }
      })();
      await client.waitForEvents(20, topic);
      // Node A drops its connections, as when it restarts: the client reconnects by itself (to A, which is back at once).
      A.app.tradeHub.handler.closeAll({ allowReconnect: true });
      await publishing;
      await waitUntil(() => resubscribed !== undefined, 'the reconnect');
      await resubscribed;
      await waitUntil(() => new Set([...seqs(client.eventsOf(topic)), ...replayed]).size >= 100, 'all 100 events', 10_000);
      // Live events before the drop, the replayed ones, then live ones again: each seq once, in order.
      const live = seqs((await client.eventsBeforeSentinel(pub, ev.account('9501', 101))).filter((e) => e.topic === topic));
      const cut = live.findIndex((seq) => seq > last.seq);
      const all = [...live.slice(0, cut === -1 ? live.length : cut), ...replayed, ...(cut === -1 ? [] : live.slice(cut))];
      assert.deepEqual(all, range(1, 100));
      assert.equal(client.statuses.length, 2, 'OnConnectionStatus again on the new connection');
      assert.notEqual(client.statuses[1]?.connectionId, oldId);
    });

    it('a reset of a topic\'s keys in Redis is a new epoch: subscribers get OnResync, and a resubscribe a snapshot of the new epoch', async () => {
      const topic = 'platforms/demo/accounts/9401';
      const pub = await connect(C, publisherToken);
      await pub.publish([ev.account('9401', 1), ev.position('9401', '1', 100)]);
      const onA = await connect(A, readerToken);
      const onB = await connect(B, readerToken);
      const old = await onA.subscribeOne(topic);
      const [wildcard] = await onB.subscribe(['platforms/demo/accounts/*']);
      assert.equal(wildcard?.status, 'wildcard');
      await pub.publish([ev.account('9401', 2)]);
      await onA.waitForEvents(1);
      await onB.waitForEvents(1);

      await resetTopic(SHARED_REDIS_URL, keyPrefix, topic);
      await pub.publish([ev.account('9401', 3)]);
      await waitUntil(() => onA.resyncs.length > 0 && onB.resyncs.length > 0, 'OnResync on both nodes');
      const notice: ResyncNotice = { topic, reason: 'epoch_changed' };
      assert.deepEqual(onA.resyncs, [notice]);
      assert.deepEqual(onB.resyncs, [notice]);

      const fresh = await onA.subscribeOne(topic);
      assert.equal(fresh.status, 'snapshot');
      assert.notEqual(fresh.epoch, old.epoch);
      assert.equal(fresh.seq, 1);
      assert.deepEqual(fresh.status === 'snapshot' && fresh.snapshot, {
        kind: 'accounts', accounts: [{ login: '9401', account: ev.account('9401', 3).data, positions: [], orders: [] }],
      });
      // Resuming from the old epoch is refused the same way.
      const fromOld = await onB.subscribeOne(topic, { [topic]: { epoch: old.epoch, seq: 3 } });
      assert.equal(fromOld.status === 'snapshot' && fromOld.resetReason, 'epoch_changed');
      assert.equal(fromOld.epoch, fresh.epoch);

      const before = onA.events.length;
      await pub.publish([ev.account('9401', 4)]);
      await waitUntil(() => onA.events.length > before, 'the next event');
      const untilSentinel = await onA.eventsBeforeSentinel(pub, ev.account('9401', 5));
      assert.deepEqual(untilSentinel.slice(before).map((e) => [e.epoch, e.seq]), [[fresh.epoch, 2]]);
    });
  });
});
