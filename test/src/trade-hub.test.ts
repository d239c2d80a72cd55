import assert from 'node:assert/strict';
import WebSocket from 'ws';
import type { SubscribeResult, TopicResult } from '@tradehub/shared';
import { withSecondTenant } from './support/http-api.js';
import { deleteKeys, SHARED_REDIS_URL } from './support/redis-server.js';
import { ev, range, seqs, snapshotOf, T0, TradeClient } from './support/trade-helpers.js';
import { waitUntil } from './support/wait.js';
import { clientToken, startTradehub, uniqueKeyPrefix, type RunningTradehub } from './support/tradehub-app.js';

const HISTORY_LENGTH = 10;

/** The same behaviour is required of the embedded (in-memory) broker and of the Redis one. */
for (const backend of ['in-memory', 'redis'] as const) {
  describe(`trade hub: subscribe, snapshots and resume (${backend} broker)`, () => {
    const keyPrefix = uniqueKeyPrefix();
    let hub: RunningTradehub;
    let readerToken: string;
    let publisherToken: string;
    const clients: TradeClient[] = [];

    before(async () => {
      hub = await startTradehub({
        config: (base) => {
          base.trade.historyLength = HISTORY_LENGTH;
          return withSecondTenant(base);
        },
        ...(backend === 'redis' ? { redis: { url: SHARED_REDIS_URL, keyPrefix } } : {}),
      });
      readerToken = await clientToken(hub.baseUrl, 'demo-reader', 'demo-reader-secret');
      publisherToken = await clientToken(hub.baseUrl, 'demo-publisher', 'demo-publisher-secret');
    });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((client) => client.stop()));
    });
    after(async () => {
      await hub?.close();
      if (backend === 'redis') await deleteKeys(SHARED_REDIS_URL, keyPrefix);
    });

    async function connect(token: string): Promise<TradeClient> {
      const client = await TradeClient.connect(hub.tradeHubUrl, token);
      clients.push(client);
      return client;
    }
    const reader = () => connect(readerToken);
    const publisher = () => connect(publisherToken);

    it('sends the handshake answer in a WebSocket frame of its own, and OnConnectionStatus in the next', async () => {
      const url = `${hub.tradeHubUrl.replace(/^http/, 'ws')}?access_token=${encodeURIComponent(readerToken)}`;
      const socket = new WebSocket(url);
      const frames: string[] = [];
      socket.on('message', (data: Buffer) => frames.push(data.toString()));
      try {
        await new Promise((resolve, reject) => {
          socket.once('open', resolve);
          socket.once('error', reject);
        });
        socket.send(`{"protocol":"json","version":1}\x1e`);
        await waitUntil(() => frames.length >= 2, () => `the handshake answer and the greeting (frames: ${JSON.stringify(frames)})`);
        assert.equal(frames[0], '{}\x1e');
        const greeting = JSON.parse((frames[1] as string).replace(/\x1e$/, '')) as { type: number; target: string };
        assert.equal(greeting.type, 1);
        assert.equal(greeting.target, 'OnConnectionStatus');
      } finally {
        socket.terminate();
      }
    });

    it('sends OnConnectionStatus once on connect, with the connection, node and token', async () => {
      const before = Date.now();
      const client = await reader();
      const connectionId = await client.connectionId();
      // The answer to an invocation is the sentinel: the status is sent on connect, and messages of
      // one connection arrive in order, so a second status would have come before the answer.
      await client.subscribe(['platforms/demo/status']);
      assert.equal(client.statuses.length, 1);
      const status = client.statuses[0];
      assert.ok(status && status.serverTime >= before && status.serverTime <= Date.now(), JSON.stringify(status));
      assert.deepEqual(status, {
        connectionId,
        nodeId: hub.app.nodeId,
        serverTime: status.serverTime,
        subject: 'demo-reader',
        organization: 'demo',
        scopes: ['trade.read'],
        platforms: ['demo', 'demo-b'],
      });
      assert.match(connectionId, /^\S{8,}$/);
      // The id is the one the server addresses the connection by.
      const received = new Promise<unknown[]>((resolve) => client.connection.on('Ping', (...args: unknown[]) => resolve(args)));
      await hub.app.tradeHub.clients.client(connectionId).send('Ping', 'to you');
      assert.deepEqual(await received, ['to you']);
      const other = await publisher();
      assert.notEqual(await other.connectionId(), connectionId);
      assert.deepEqual(other.statuses[0]?.scopes, ['trade.read', 'trade.publish']);
    });

    it('snapshot of a ticks topic: the latest tick, at the seq of the last event', async () => {
      const pub = await publisher();
      const topic = 'platforms/demo/ticks/SNAPT';
      const empty = await (await reader()).subscribeOne(topic);
      assert.deepEqual(empty, { topic, status: 'snapshot', epoch: empty.epoch, seq: 0, snapshot: { kind: 'ticks', ticks: [] } });
      await pub.publish([ev.tick('SNAPT', 1.1), ev.tick('SNAPT', 1.2)]);
      const latest = ev.tick('SNAPT', 1.3, { id: 'snapt-3' });
      await pub.publish([latest]);
      const result = await (await reader()).subscribeOne(topic);
      assert.deepEqual(result, { topic, status: 'snapshot', epoch: empty.epoch, seq: 3, snapshot: { kind: 'ticks', ticks: [latest.data] } });
    });

    it('snapshot of an account topic: the account state, open positions and active orders only', async () => {
      const pub = await publisher();
      const topic = 'platforms/demo/accounts/3001';
      const client = await reader();
      const empty = await client.subscribeOne(topic);
      assert.deepEqual(snapshotOf(empty, 'accounts'), { kind: 'accounts', accounts: [{ login: '3001', account: null, positions: [], orders: [] }] });
      assert.equal(empty.seq, 0);
      const published = [
        ev.account('3001', 100),
        ev.position('3001', '11', 10_000),
        ev.position('3001', '12', 20_000),
        ev.order('3001', '21', 'started'),
        ev.order('3001', '22', 'placed'),
        ev.order('3001', '23', 'placed'),
        ev.order('3001', '24', 'placed'),
        ev.order('3001', '25', 'placed'),
        ev.account('3001', 250),
      ];
      await pub.publish(published);
      const closing = [
        ev.position('3001', '11', 0), // closed: leaves the snapshot
        ev.position('3001', '12', 15_000), // partly closed: updated
        ev.order('3001', '21', 'filled'),
        ev.order('3001', '22', 'canceled'),
        ev.order('3001', '23', 'rejected'),
        ev.order('3001', '24', 'expired'),
        ev.order('3001', '25', 'partial'), // still active: updated
        ev.deal('3001', '31'), // history only
      ];
      await pub.publish(closing);
      const result = await (await reader()).subscribeOne(topic);
      assert.equal(result.status, 'snapshot');
      assert.equal(result.seq, published.length + closing.length);
      assert.equal(result.epoch, empty.epoch);
      assert.deepEqual(snapshotOf(result, 'accounts'), {
        kind: 'accounts',
        accounts: [{ login: '3001', account: published[8]?.data, positions: [closing[1]?.data], orders: [closing[6]?.data] }],
      });
      // The subscriber of the empty snapshot received exactly those events, in order.
      const events = await client.waitForEvents(17, topic);
      assert.deepEqual(seqs(events), range(1, 17));
      assert.deepEqual(events.map((e) => e.data), [...published, ...closing].map((e) => e.data));
    });

    it('snapshot of status, symbols and margin topics', async () => {
      const pub = await publisher();
      const client = await reader();
      const [status, symbols, margin] = await client.subscribe(['platforms/demo/status', 'platforms/demo/symbols', 'platforms/demo/margin']);
      assert.deepEqual(snapshotOf(status, 'status'), { kind: 'status', status: null });
      assert.deepEqual(snapshotOf(symbols, 'symbols'), { kind: 'symbols', symbols: [] });
      assert.deepEqual(snapshotOf(margin, 'margin'), { kind: 'margin' });

      const stale = ev.status('stale', {});
      const eurusd = ev.symbol('EURUSD');
      const gbpusd = ev.symbol('GBPUSD');
      const eurusd3 = { ...eurusd, data: { ...eurusd.data, digits: 3, description: 'Euro' } };
      await pub.publish([ev.status('connected'), stale, eurusd, gbpusd, eurusd3, ev.margin('3002'), ev.margin('3003')]);
      const [status2, symbols2, margin2] = await (await reader()).subscribe(['platforms/demo/status', 'platforms/demo/symbols', 'platforms/demo/margin']);
      assert.deepEqual(snapshotOf(status2, 'status'), { kind: 'status', status: stale.data });
      assert.equal((status2 as TopicResult).seq, 2);
      const symbolList = snapshotOf(symbols2, 'symbols').symbols;
      assert.deepEqual([...symbolList].sort((a, b) => a.symbol.localeCompare(b.symbol)), [eurusd3.data, gbpusd.data]);
      assert.equal((symbols2 as TopicResult).seq, 3);
      // Margin events are history only: no state, but a position to resume from.
      assert.deepEqual(snapshotOf(margin2, 'margin'), { kind: 'margin' });
      assert.equal((margin2 as TopicResult).seq, 2);
      const live = await client.waitForEvents(7);
      assert.deepEqual(live.map((e) => `${e.topic}#${e.seq}`), [
        'platforms/demo/status#1', 'platforms/demo/status#2', 'platforms/demo/symbols#1', 'platforms/demo/symbols#2',
        'platforms/demo/symbols#3', 'platforms/demo/margin#1', 'platforms/demo/margin#2',
      ]);
    });

    it('delivers envelopes with every field: v, topic, type, platformId, seq, epoch, time, hubTime, id, data', async () => {
      const pub = await publisher();
      const client = await reader();
      const topic = 'platforms/demo/accounts/3004';
      const { epoch } = await client.subscribeOne(topic);
      const before = Date.now();
      const deal = ev.deal('3004', '41', { id: 'deal-41' });
      await pub.publish([deal, ev.account('3004', 5)]);
      const [first, second] = await client.waitForEvents(2, topic);
      assert.ok(first && first.hubTime >= before && first.hubTime <= Date.now());
      assert.deepEqual(first, {
        v: 1, topic, type: 'deal', platformId: 'demo', seq: 1, epoch, time: T0, hubTime: first.hubTime, id: 'deal-41', data: deal.data,
      });
      assert.ok(second && !('id' in second), 'an event published without id is delivered without id');
    });

    it('a wildcard answers per concrete topic, then delivers events of new topics from seq 1', async () => {
      const pub = await publisher();
      // Topics that were only read, never published to, are not topics of the wildcard.
      const curious = await reader();
      await curious.subscribe(['platforms/demo-b/ticks/W0']);
      await curious.subscribe(['platforms/demo-b/ticks/W00'], { 'platforms/demo-b/ticks/W00': { epoch: 'e', seq: 0 } });
      await curious.connection.stream('StreamTopic', 'platforms/demo-b/ticks/W000').subscribe({ next: () => undefined, error: () => undefined, complete: () => undefined }).dispose();
      await pub.publish([ev.tick('W1', 1, {}, 'demo-b'), ev.tick('W1', 2, {}, 'demo-b'), ev.tick('W2', 5, {}, 'demo-b')]);
      // Another platform's and another kind's topics stay out.
      await pub.publish([ev.tick('W9', 9), ev.account('3005', 1, {}, 'demo-b')]);
      const client = await reader();
      const [result] = await client.subscribe(['platforms/demo-b/ticks/*']);
      assert.ok(result?.status === 'wildcard', JSON.stringify(result));
      assert.equal(result.topic, 'platforms/demo-b/ticks/*');
      assert.deepEqual(result.topics.map((t) => [t.topic, t.status, t.seq]), [
        ['platforms/demo-b/ticks/W1', 'snapshot', 2],
        ['platforms/demo-b/ticks/W2', 'snapshot', 1],
      ]);
      assert.deepEqual(snapshotOf(result.topics[0], 'ticks').ticks.map((t) => t.bid), [2]);
      assert.deepEqual(snapshotOf(result.topics[1], 'ticks').ticks.map((t) => t.bid), [5]);

      await pub.publish([ev.tick('W1', 3, {}, 'demo-b'), ev.tick('W3', 7, {}, 'demo-b'), ev.tick('W3', 8, {}, 'demo-b')]);
      await pub.publish([ev.tick('W9', 10), ev.tick('W4', 1, {}, 'demo-b')]);
      const events = await client.waitForEvents(4);
      const before = await client.eventsBeforeSentinel(pub, ev.tick('W4', 2, {}, 'demo-b'));
      assert.deepEqual(before.map((e) => `${e.topic}#${e.seq}`), [
        'platforms/demo-b/ticks/W1#3', 'platforms/demo-b/ticks/W3#1', 'platforms/demo-b/ticks/W3#2', 'platforms/demo-b/ticks/W4#1',
      ]);
      assert.equal(events[1]?.type === 'tick' && events[1].data.bid, 7);

      // Resuming under a wildcard: positions are given per concrete topic.
      const w1 = result.topics[0] as TopicResult;
      const [again] = await (await reader()).subscribe(['platforms/demo-b/ticks/*'], { 'platforms/demo-b/ticks/W1': { epoch: w1.epoch, seq: 1 } });
      assert.ok(again?.status === 'wildcard');
      const [resumedW1, ...rest] = again.topics;
      assert.ok(resumedW1?.status === 'resumed', JSON.stringify(resumedW1));
      assert.deepEqual(resumedW1.events.map((e) => e.type === 'tick' && e.data.bid), [2, 3]);
      assert.deepEqual(seqs(resumedW1.events), [2, 3]);
      assert.deepEqual(rest.map((t) => [t.topic, t.status, t.seq]), [
        ['platforms/demo-b/ticks/W2', 'snapshot', 1],
        ['platforms/demo-b/ticks/W3', 'snapshot', 2],
        ['platforms/demo-b/ticks/W4', 'snapshot', 2], // W4#2 was the sentinel
      ]);

      // The accounts wildcard, for a token not restricted to logins.
      const [accounts] = await client.subscribe(['platforms/demo-b/accounts/*']);
      assert.ok(accounts?.status === 'wildcard');
      assert.deepEqual(accounts.topics.map((t) => [t.topic, t.seq]), [['platforms/demo-b/accounts/3005', 1]]);
      await pub.publish([ev.account('3006', 2, {}, 'demo-b')]);
      assert.deepEqual((await client.waitForEvents(6)).slice(5).map((e) => `${e.topic}#${e.seq}`), ['platforms/demo-b/accounts/3006#1']);
    });

    it('resumes with exactly the missed events, then live events without gap or duplicate', async () => {
      const pub = await publisher();
      const topic = 'platforms/demo/accounts/3007';
      const list = range(1, 6).map((n) => ev.account('3007', n * 100, { id: `r-${n}` }));
      await pub.publish(list.slice(0, 2));
      const first = await (await reader()).subscribeOne(topic);
      assert.equal(first.seq, 2);
      await pub.publish(list.slice(2));

      const client = await reader();
      const resumed = await client.subscribeOne(topic, { [topic]: { epoch: first.epoch, seq: 2 } });
      assert.ok(resumed.status === 'resumed', JSON.stringify(resumed));
      assert.deepEqual(resumed, { topic, status: 'resumed', epoch: first.epoch, seq: 6, events: resumed.events });
      assert.deepEqual(seqs(resumed.events), [3, 4, 5, 6]);
      assert.deepEqual(resumed.events.map((e) => e.id), ['r-3', 'r-4', 'r-5', 'r-6']);
      assert.deepEqual(resumed.events.map((e) => e.data), list.slice(2).map((e) => e.data));

      // Up to date: nothing to replay.
      const current = await (await reader()).subscribeOne(topic, { [topic]: { epoch: first.epoch, seq: 6 } });
      assert.deepEqual(current, { topic, status: 'resumed', epoch: first.epoch, seq: 6, events: [] });

      await pub.publish([ev.account('3007', 700), ev.account('3007', 800)]);
      const live = await client.waitForEvents(2, topic);
      assert.deepEqual(seqs(await client.eventsBeforeSentinel(pub, ev.account('3007', 900))), [7, 8]);
      assert.deepEqual(live.map((e) => e.type === 'account' && e.data.balance), [700, 800]);
    });

    it('resume with a forged epoch answers a snapshot with resetReason epoch_changed', async () => {
      const pub = await publisher();
      const topic = 'platforms/demo/accounts/3008';
      await pub.publish([ev.account('3008', 1), ev.account('3008', 2)]);
      const { epoch } = await (await reader()).subscribeOne(topic);
      const client = await reader();
      const result = await client.subscribeOne(topic, { [topic]: { epoch: 'forged-epoch', seq: 1 } });
      assert.deepEqual(result, {
        topic, status: 'snapshot', epoch, seq: 2, resetReason: 'epoch_changed',
        snapshot: { kind: 'accounts', accounts: [{ login: '3008', account: ev.account('3008', 2).data, positions: [], orders: [] }] },
      });
      // Live events follow the snapshot.
      await pub.publish([ev.account('3008', 3)]);
      assert.deepEqual(seqs(await client.waitForEvents(1, topic)), [3]);
    });

    it('resume with a seq ahead of the server answers a snapshot with resetReason ahead_of_server, storing nothing', async () => {
      const pub = await publisher();
      const topic = 'platforms/demo/ticks/AHEAD';
      await pub.publish([ev.tick('AHEAD', 1), ev.tick('AHEAD', 2)]);
      const { epoch } = await (await reader()).subscribeOne(topic);
      const client = await reader();
      for (const seq of [3, 1_000_000, Number.MAX_SAFE_INTEGER]) {
        const result = await client.subscribeOne(topic, { [topic]: { epoch, seq } });
        assert.equal(result.status, 'snapshot');
        assert.deepEqual(result, {
          topic, status: 'snapshot', epoch, seq: 2, resetReason: 'ahead_of_server', snapshot: { kind: 'ticks', ticks: [ev.tick('AHEAD', 2).data] },
        });
      }
      await pub.publish([ev.tick('AHEAD', 3)]);
      assert.deepEqual(seqs(await client.eventsBeforeSentinel(pub, ev.tick('AHEAD', 4))), [3], 'the next event has the next seq, delivered once');
    });

    it(`resume from before the bounded history (${HISTORY_LENGTH} events) answers a snapshot with resetReason history_gone`, async () => {
      const pub = await publisher();
      const topic = 'platforms/demo/accounts/3009';
      const total = 3 * HISTORY_LENGTH;
      await pub.publish(range(1, total).map((n) => ev.account('3009', n)));
      const { epoch } = await (await reader()).subscribeOne(topic);
      const client = await reader();
      // The last HISTORY_LENGTH events can be replayed; a position before them cannot.
      const oldest = total - HISTORY_LENGTH;
      const resumed = await client.subscribeOne(topic, { [topic]: { epoch, seq: oldest } });
      assert.ok(resumed.status === 'resumed', JSON.stringify(resumed).slice(0, 300));
      assert.deepEqual(seqs(resumed.events), range(oldest + 1, total));
      assert.equal(resumed.seq, total);
      for (const seq of [0, 2, oldest - 1]) {
        const gone = await client.subscribeOne(topic, { [topic]: { epoch, seq } });
        assert.equal(gone.status, 'snapshot', `resume from ${seq}: ${JSON.stringify(gone).slice(0, 300)}`);
        assert.deepEqual(gone, {
          topic, status: 'snapshot', epoch, seq: total, resetReason: 'history_gone',
          snapshot: { kind: 'accounts', accounts: [{ login: '3009', account: ev.account('3009', total).data, positions: [], orders: [] }] },
        });
      }
    });

    it('Unsubscribe stops delivery of that topic only', async () => {
      const pub = await publisher();
      const client = await reader();
      const [a, b] = ['platforms/demo/ticks/UNSUB', 'platforms/demo/accounts/3010'];
      await client.subscribe([a, b]);
      await pub.publish([ev.tick('UNSUB', 1), ev.account('3010', 1)]);
      await client.waitForEvents(2);
      assert.equal(hub.app.trade.fanout.consumerCount(a), 1);
      await client.unsubscribe([a]);
      assert.equal(hub.app.trade.fanout.consumerCount(a), 0);
      assert.equal(hub.app.trade.fanout.consumerCount(b), 1);
      // The later event of b arrives while a's earlier one does not.
      await pub.publish([ev.tick('UNSUB', 2)]);
      await pub.publish([ev.account('3010', 2)]);
      assert.deepEqual((await client.eventsBeforeSentinel(pub, ev.account('3010', 2.5))).map((e) => `${e.topic}#${e.seq}`), [`${a}#1`, `${b}#1`, `${b}#2`]);
      // Unsubscribing what is not subscribed, or twice, is harmless; a wildcard unsubscribes the same way.
      await client.unsubscribe([a, 'platforms/demo/ticks/NEVER']);
      await client.subscribe(['platforms/demo/ticks/*']);
      await client.unsubscribe(['platforms/demo/ticks/*']);
      assert.equal(hub.app.trade.fanout.consumerCount('platforms/demo/ticks/*'), 0);
      await pub.publish([ev.tick('UNSUB', 3), ev.account('3010', 3)]);
      // b#3 was the first sentinel.
      assert.deepEqual((await client.eventsBeforeSentinel(pub, ev.account('3010', 4))).map((e) => `${e.topic}#${e.seq}`), [`${a}#1`, `${b}#1`, `${b}#2`, `${b}#3`, `${b}#4`]);
    });

    it('a topic named twice in one Subscribe is answered and delivered once', async () => {
      const pub = await publisher();
      const client = await reader();
      const topic = 'platforms/demo/ticks/TWICE';
      const results = await client.subscribe([topic, topic, 'platforms/demo/status', topic]);
      assert.deepEqual(results.map((r) => [r.topic, r.status]), [[topic, 'snapshot'], ['platforms/demo/status', 'snapshot']]);
      assert.equal(hub.app.trade.fanout.consumerCount(topic), 1);
      await pub.publish([ev.tick('TWICE', 1)]);
      await pub.publish([ev.status('connected')]);
      assert.deepEqual((await client.eventsBeforeSentinel(pub, ev.tick('TWICE', 2))).map((e) => e.topic), [topic, 'platforms/demo/status']);
    });

    it('a connection subscribed to a wildcard and to a topic under it gets each event of that topic once', async () => {
      const pub = await publisher();
      const client = await reader();
      const topic = 'platforms/demo/ticks/BOTHWAYS';
      await client.subscribe(['platforms/demo/ticks/*', topic]);
      for (let n = 1; n <= 3; n++) await pub.publish([ev.tick('BOTHWAYS', n)]);
      await pub.publish([ev.status('connected')]);
      await client.subscribe(['platforms/demo/status']);
      await pub.publish([ev.status('stale')]);
      const before = await client.eventsBeforeSentinel(pub, ev.tick('BOTHWAYS', 4));
      assert.deepEqual(before.filter((e) => e.topic === topic).map((e) => e.seq), [1, 2, 3]);
    });

    it('subscribing again to a topic already subscribed answers a fresh snapshot and delivers each event once', async () => {
      const pub = await publisher();
      const client = await reader();
      const topic = 'platforms/demo/ticks/AGAIN';
      await client.subscribeOne(topic);
      await pub.publish([ev.tick('AGAIN', 1), ev.tick('AGAIN', 2)]);
      await client.waitForEvents(2);
      const again = await client.subscribeOne(topic);
      assert.equal(again.seq, 2);
      const resumed = await client.subscribeOne(topic, { [topic]: { epoch: again.epoch, seq: 1 } });
      assert.ok(resumed.status === 'resumed');
      assert.deepEqual(seqs(resumed.events), [2]);
      assert.equal(hub.app.trade.fanout.consumerCount(topic), 1);
      await pub.publish([ev.tick('AGAIN', 3)]);
      assert.deepEqual(seqs(await client.eventsBeforeSentinel(pub, ev.tick('AGAIN', 4))), [1, 2, 3]);
    });

    it('refuses a bad topic in its own result; the other topics of the call are answered', async () => {
      const client = await reader();
      const results: SubscribeResult[] = await client.subscribe(['nonsense', 'platforms/demo/ticks/OK1', 'platforms/demo/ticks/a/b']);
      assert.deepEqual(results.map((r) => r.status), ['error', 'snapshot', 'error']);
      assert.deepEqual(results[0], { topic: 'nonsense', status: 'error', error: "'nonsense' is not a topic name." });
      assert.deepEqual(results[2], { topic: 'platforms/demo/ticks/a/b', status: 'error', error: "'platforms/demo/ticks/a/b' is not a topic name." });
    });

    it('delivers concurrent publishes to a subscriber that subscribes meanwhile without gap or duplicate', async () => {
      const pub = await publisher();
      const topic = 'platforms/demo/ticks/RACE';
      const publishing = (async () => {
        for (let n = 1; n <= 100; n++) await pub.publish([ev.tick('RACE', n)]);
      })();
      await waitUntil(async () => (await (await reader()).subscribeOne(topic)).seq > 0, 'the first event');
      const client = await reader();
      const result = await client.subscribeOne(topic);
      await publishing;
      const before = await client.eventsBeforeSentinel(pub, ev.tick('RACE', 101));
      assert.deepEqual(seqs(before), range(result.seq + 1, 100));
      assert.deepEqual(before.map((e) => e.type === 'tick' && e.data.bid), range(result.seq + 1, 100));
    });
  });
}
