import assert from 'node:assert/strict';
import { HubConnectionState } from '@microsoft/signalr';
import type { TradeEnvelope } from '@tradehub/shared';
import { closure } from './support/auth-helpers.js';
import { RawHubSocket, RS } from './support/raw-socket.js';
import { deleteKeys, SHARED_REDIS_URL } from './support/redis-server.js';
import { ev, range, seqs, TradeClient } from './support/trade-helpers.js';
import { clientToken, startTradehub, uniqueKeyPrefix, type RunningTradehub } from './support/tradehub-app.js';

const PUBLISH_ERROR = "An unexpected error occurred invoking 'Publish' on the server. HubException: ";
const SIZE_ERROR = 'Server returned an error on close: Connection closed with an error. InvalidDataException: The maximum message size of 32768B was exceeded.';

for (const backend of ['in-memory', 'redis'] as const) {
  describe(`trade hub: events that fail validation are refused, stored nowhere and sent to no one (${backend} broker)`, () => {
    const keyPrefix = uniqueKeyPrefix();
    let hub: RunningTradehub;
    /** A node that takes messages up to 1 MB, so that a batch of more than 1000 events reaches the validation. */
    let bigHub: RunningTradehub;
    let readerToken: string;
    let publisherToken: string;
    const clients: TradeClient[] = [];
    const sockets: RawHubSocket[] = [];

    before(async () => {
      const redis = backend === 'redis' ? { redis: { url: SHARED_REDIS_URL, keyPrefix } } : {};
      hub = await startTradehub(redis);
      bigHub = await startTradehub({ ...redis, hubOptions: { maximumReceiveMessageSize: 1024 * 1024 } });
      readerToken = await clientToken(hub.baseUrl, 'demo-reader', 'demo-reader-secret');
      publisherToken = await clientToken(hub.baseUrl, 'demo-publisher', 'demo-publisher-secret');
    });
    afterEach(async () => {
      for (const socket of sockets.splice(0)) socket.close();
      await Promise.all(clients.splice(0).map((client) => client.stop()));
    });
    after(async () => {
      await hub?.close();
      await bigHub?.close();
      if (backend === 'redis') await deleteKeys(SHARED_REDIS_URL, keyPrefix);
    });

    async function connect(token: string, node = hub): Promise<TradeClient> {
      const client = await TradeClient.connect(node.tradeHubUrl, token);
      clients.push(client);
      return client;
    }

    /**
     * A topic with `count` events stored and a watcher subscribed to it (through the wildcard
     * covering it, if any, so that events of its neighbours would show too): `assertUntouched` then proves that whatever the test did in between
     * stored and broadcast nothing, by the seq of the topic's snapshot and by a valid event that
     * must reach the watcher next, with the next seq.
     */
    async function watched(topic: string, valid: (n: number) => Record<string, unknown>, count = 2) {
      const pub = await connect(publisherToken);
      await pub.publish(range(1, count).map(valid));
      const watcher = await connect(readerToken);
      const wildcard = topic.includes('/ticks/') || topic.includes('/accounts/') ? topic.replace(/[^/]+$/, '*') : undefined;
      const [result] = await watcher.subscribe([wildcard ?? topic]);
      const own = result?.status === 'wildcard' ? result.topics.find((t) => t.topic === topic) : result;
      assert.equal(own?.status === 'snapshot' && own.seq, count);
      return {
        pub,
        async assertUntouched(): Promise<void> {
          const snapshot = await (await connect(readerToken)).subscribeOne(topic);
          assert.equal(snapshot.seq, count, 'nothing was stored');
          // The valid marker is the sentinel: anything the bad input broadcast would come before it.
          const marker = valid(count + 1);
          await pub.publish([marker]);
          const delivered = await watcher.waitForEvents(1);
          // The valid event, with the next seq, and nothing else.
          assert.equal(watcher.events.length, 1, JSON.stringify(watcher.events));
          const [envelope] = delivered as [TradeEnvelope];
          assert.equal(envelope.topic, topic);
          assert.equal(envelope.seq, count + 1);
          assert.deepEqual(envelope.data, marker.data);
        },
      };
    }

    async function refusedPublish(pub: TradeClient, events: unknown, message: string | RegExp): Promise<void> {
      await assert.rejects(pub.connection.invoke('Publish', events), (error: Error) => {
        if (typeof message === 'string') assert.equal(error.message, PUBLISH_ERROR + message);
        else assert.match(error.message, message);
        return true;
      });
    }

    it('wrong types: a string price, a numeric login, an object payload', async () => {
      const { pub, assertUntouched } = await watched('platforms/demo/ticks/BAD1', (n) => ev.tick('BAD1', n));
      await refusedPublish(pub, [{ ...ev.tick('BAD1', 1), data: { ...ev.tick('BAD1', 1).data, bid: 'high' } }],
        'Invalid events: event 0 (data.bid): Invalid input: expected number, received string');
      await refusedPublish(pub, [{ ...ev.tick('BAD1', 1), data: 'EURUSD 1.1' }],
        /HubException: Invalid events: event 0 \(data\): Invalid input: expected object, received string$/);
      await refusedPublish(pub, [{ ...ev.tick('BAD1', 1), platformId: 7 }], /HubException: Invalid events: event 0 \(platformId\): /);
      await refusedPublish(pub, [{ ...ev.tick('BAD1', 1), id: 7 }], /HubException: Invalid events: event 0 \(id\): /);
      await refusedPublish(pub, [{ ...ev.tick('BAD1', 1), data: { ...ev.tick('BAD1', 1).data, time: '2026-01-01' } }],
        /HubException: Invalid events: event 0 \(data\.time\): Invalid input: expected number, received string$/);
      await assertUntouched();
    });

    it('an unknown type, missing fields, unknown fields', async () => {
      const { pub, assertUntouched } = await watched('platforms/demo/accounts/4001', (n) => ev.account('4001', n));
      await refusedPublish(pub, [{ ...ev.account('4001', 1), type: 'balance' }], /HubException: Invalid events: event 0 \(type\): /);
      await refusedPublish(pub, [{ platformId: 'demo', data: ev.account('4001', 1).data }], /HubException: Invalid events: event 0 \(type\): /);
      const { balance: _balance, ...noBalance } = ev.account('4001', 1).data;
      await refusedPublish(pub, [{ ...ev.account('4001', 1), data: noBalance }],
        'Invalid events: event 0 (data.balance): Invalid input: expected number, received undefined');
      await refusedPublish(pub, [{ type: 'account', platformId: 'demo' }], /HubException: Invalid events: event 0 \(data\): /);
      await refusedPublish(pub, [{ ...ev.account('4001', 1), data: { ...ev.account('4001', 1).data, bonus: 5 } }],
        /HubException: Invalid events: event 0 \(data\): Unrecognized key: "bonus"$/);
      await refusedPublish(pub, [{ ...ev.account('4001', 1), seq: 99 }], /HubException: Invalid events: event 0: Unrecognized key: "seq"$/);
      await assertUntouched();
    });

    it('non-finite numbers: Infinity and NaN from the official client, 1e999 in raw JSON', async () => {
      const { pub, assertUntouched } = await watched('platforms/demo/ticks/BAD2', (n) => ev.tick('BAD2', n));
      // JSON has no Infinity or NaN: the official client writes null for them.
      await refusedPublish(pub, [ev.tick('BAD2', Number.POSITIVE_INFINITY)],
        'Invalid events: event 0 (data.bid): Invalid input: expected number, received null; '
        + 'event 0 (data.ask): Invalid input: expected number, received null');
      await refusedPublish(pub, [{ ...ev.tick('BAD2', 1), data: { ...ev.tick('BAD2', 1).data, ask: Number.NaN } }],
        'Invalid events: event 0 (data.ask): Invalid input: expected number, received null');
      // 1e999 is valid JSON that parses to Infinity.
      const socket = await RawHubSocket.open(hub.tradeHubUrl, { Authorization: `Bearer ${publisherToken}` });
      sockets.push(socket);
      await socket.handshake();
      const tick = JSON.stringify(ev.tick('BAD2', 1));
      for (const [id, number] of [['1', '1e999'], ['2', '-1e999']] as const) {
        socket.send(`{"type":1,"invocationId":"${id}","target":"Publish","arguments":[[${tick.replace('"bid":1', `"bid":${number}`)}]]}${RS}`);
        let completion = await socket.nextNonPing();
        while (completion.type !== 3) completion = await socket.nextNonPing();
        assert.equal(completion.invocationId, id);
        assert.match(String(completion.error), /^An unexpected error occurred invoking 'Publish' on the server\. HubException: Invalid events: event 0 \(data\.bid\): /);
      }
      await assertUntouched();
    });

    it('oversized strings within the message size limit', async () => {
      const { pub, assertUntouched } = await watched('platforms/demo/status', () => ev.status('connected'));
      await refusedPublish(pub, [{ ...ev.status('stale'), data: { ...ev.status('stale').data, reason: 'r'.repeat(20_000) } }],
        'Invalid events: event 0 (data.reason): Too big: expected string to have <=500 characters');
      await refusedPublish(pub, [{ ...ev.status('stale'), id: 'i'.repeat(129) }], /event 0 \(id\): Too big: expected string to have <=128 characters$/);
      await refusedPublish(pub, [ev.tick('S'.repeat(40), 1)], /event 0 \(data\.symbol\): must be 1-32 letters/);
      await assertUntouched();
    });

    it('a batch with one bad event stores none of it, and names each problem by index', async () => {
      const { pub, assertUntouched } = await watched('platforms/demo/accounts/4002', (n) => ev.account('4002', n));
      const batch = [ev.account('4002', 10), ev.account('4002', 11), { ...ev.account('4002', 12), type: 'nope' }, ev.account('4002', 13)];
      await refusedPublish(pub, batch, /HubException: Invalid events: event 2 \(type\): /);
      const two = [ev.account('4002', 10), ev.tick('X', Number.NaN), ev.account('4002', 11), { type: 'tick' }];
      await refusedPublish(pub, two, 'Invalid events: event 1 (data.bid): Invalid input: expected number, received null; '
        + 'event 1 (data.ask): Invalid input: expected number, received null; event 3 (platformId): Invalid input: expected string, received undefined; '
        + 'event 3 (data): Invalid input: expected object, received undefined');
      // At most five problems are named.
      await refusedPublish(pub, range(1, 8).map(() => ({ type: 'tick' })),
        /HubException: Invalid events: (event \d \([a-zA-Z]+\): [^;]+; ){4}event \d \([a-zA-Z]+\): [^;]+; and 11 more$/);
      await assertUntouched();
    });

    it('not a batch: an object, an empty array, null', async () => {
      const { pub, assertUntouched } = await watched('platforms/demo/ticks/BAD3', (n) => ev.tick('BAD3', n));
      await refusedPublish(pub, ev.tick('BAD3', 1), 'Invalid events: events: Invalid input: expected array, received object');
      await refusedPublish(pub, [], 'Invalid events: events: Too small: expected array to have >=1 items');
      await refusedPublish(pub, null, 'Invalid events: events: Invalid input: expected array, received null');
      await assertUntouched();
    });

    it('a message over the 32 KB limit closes the connection with the size error and stores nothing', async () => {
      const { assertUntouched } = await watched('platforms/demo/symbols', (n) => ev.symbol(`SYM${n}`));
      const sender = await connect(publisherToken);
      const closed = closure(sender.connection);
      const huge = { ...ev.symbol('HUGE'), data: { ...ev.symbol('HUGE').data, description: 'd'.repeat(40 * 1024) } };
      const invocation = sender.connection.invoke('Publish', [huge]);
      const { error } = await closed;
      assert.equal(error?.message, SIZE_ERROR);
      await assert.rejects(invocation, { message: SIZE_ERROR });
      assert.equal(sender.connection.state, HubConnectionState.Disconnected);
      // Many small events over the limit too. (Kept under 256 KiB, the largest WebSocket frame the
      // hub takes: a larger frame is refused by the WebSocket layer with 1009, before it is read.)
      const batcher = await connect(publisherToken);
      const closedToo = closure(batcher.connection);
      const many = range(1, 500).map((n) => ev.symbol(`S${n}`));
      while (JSON.stringify(many).length > 40 * 1024) many.pop();
      void batcher.connection.invoke('Publish', many).catch(() => undefined);
      assert.equal((await closedToo).error?.message, SIZE_ERROR);
      const flooder = await connect(publisherToken);
      const closedByFrame = closure(flooder.connection);
      const enormous = { ...ev.symbol('HUGE'), data: { ...ev.symbol('HUGE').data, description: 'd'.repeat(300 * 1024) } };
      void flooder.connection.invoke('Publish', [enormous]).catch(() => undefined);
      assert.match(String((await closedByFrame).error?.message), /WebSocket closed with status code: 1009/);
      await assertUntouched();
    });

    it('a batch of more than 1000 events is refused (hub and REST), 1000 are taken', async () => {
      const topic = 'platforms/demo/ticks/MANY';
      // Each node of the in-memory kind signs its own tokens.
      const bigPublisherToken = await clientToken(bigHub.baseUrl, 'demo-publisher', 'demo-publisher-secret');
      const bigReaderToken = await clientToken(bigHub.baseUrl, 'demo-reader', 'demo-reader-secret');
      const pub = await connect(bigPublisherToken, bigHub);
      const watcher = await connect(bigReaderToken, bigHub);
      await watcher.subscribe([topic]);
      await refusedPublish(pub, range(1, 1001).map((n) => ev.tick('MANY', n)), 'Invalid events: events: Too big: expected array to have <=1000 items');
      const rest = await fetch(`${hub.baseUrl}/api/platforms/demo/events`, {
        method: 'POST',
        headers: { 'Authorization': `Bearer ${publisherToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ events: range(1, 1001).map((n) => ({ type: 'tick', data: ev.tick('MANY', n).data })) }),
      });
      assert.equal(rest.status, 400);
      assert.deepEqual(await rest.json(), {
        error: 'invalid_request', error_description: 'Invalid events: events: Too big: expected array to have <=1000 items',
      });
      assert.equal((await (await connect(bigReaderToken, bigHub)).subscribeOne(topic)).seq, 0);
      const taken = await pub.publish(range(1, 1000).map((n) => ev.tick('MANY', n)));
      assert.deepEqual(taken.results.map((r) => r.seq), range(1, 1000));
      const events = await watcher.waitForEvents(1000);
      assert.deepEqual(seqs(events), range(1, 1000));
    });

    it('non-finite numbers through REST (1e999) are refused as well', async () => {
      const { assertUntouched } = await watched('platforms/demo/ticks/BAD4', (n) => ev.tick('BAD4', n));
      const body = `{"events":[{"type":"tick","data":{"symbol":"BAD4","bid":1e999,"ask":1.1,"time":1}}]}`;
      const rest = await fetch(`${hub.baseUrl}/api/platforms/demo/events`, {
        method: 'POST', headers: { 'Authorization': `Bearer ${publisherToken}`, 'Content-Type': 'application/json' }, body,
      });
      assert.equal(rest.status, 400);
      const answer = await rest.json() as { error: string; error_description: string };
      assert.equal(answer.error, 'invalid_request');
      assert.match(answer.error_description, /^Invalid events: event 0 \(data\.bid\): /);
      await assertUntouched();
    });

    it('resume positions that are not positions are refused; a future one stores nothing', async () => {
      const { assertUntouched } = await watched('platforms/demo/ticks/BAD5', (n) => ev.tick('BAD5', n));
      const client = await connect(readerToken);
      const topic = 'platforms/demo/ticks/BAD5';
      const { epoch } = await client.subscribeOne(topic);
      const forged: unknown[] = [
        { [topic]: { epoch, seq: -1 } },
        { [topic]: { epoch, seq: 1.5 } },
        { [topic]: { epoch, seq: '1' } },
        { [topic]: { epoch, seq: null } },
        { [topic]: { epoch } },
        { [topic]: { seq: 1 } },
        { [topic]: { epoch: 'e'.repeat(65), seq: 1 } },
        { [topic]: { epoch: 7, seq: 1 } },
        { [topic]: 'latest' },
        [{ epoch, seq: 1 }],
        'resume',
      ];
      for (const resume of forged) {
        await assert.rejects(client.connection.invoke('Subscribe', [topic], resume), (error: Error) => {
          assert.match(error.message, /^Failed to invoke 'Subscribe' due to an error on the server\. InvalidDataException: /, JSON.stringify(resume));
          return true;
        });
      }
      const ahead = await client.subscribeOne(topic, { [topic]: { epoch, seq: 10 ** 12 } });
      assert.equal(ahead.status === 'snapshot' && ahead.resetReason, 'ahead_of_server');
      const otherEpoch = await client.subscribeOne(topic, { [topic]: { epoch: 'x', seq: 10 ** 12 } });
      assert.equal(otherEpoch.status === 'snapshot' && otherEpoch.resetReason, 'epoch_changed');
      assert.equal(otherEpoch.epoch, epoch, 'a forged epoch does not replace the real one');
      await assertUntouched();
    });
  });
}
