import assert from 'node:assert/strict';
import type { TradeEnvelope } from '@tradehub/shared';
import { OwnRedisCluster } from './support/redis-cluster.js';
import { ev, range, seqs, TradeClient } from './support/trade-helpers.js';
import { clientToken, startTradehub, uniqueKeyPrefix, type RunningTradehub } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';

/** Two hub nodes on a Redis Cluster of the test's own (3 masters, 3 replicas): sharded pub/sub and one-slot scripts. */
describe('Redis Cluster: two hub nodes on 3 shards', function () {
  this.timeout(60_000);
  let cluster: OwnRedisCluster;
  const keyPrefix = uniqueKeyPrefix();
  let A: RunningTradehub;
  let B: RunningTradehub;
  let readerToken: string;
  let publisherToken: string;
  const clients: TradeClient[] = [];

  before(async () => {
    cluster = await OwnRedisCluster.start();
    A = await startTradehub({ redis: { cluster: cluster.seeds, keyPrefix } });
    B = await startTradehub({ redis: { cluster: cluster.seeds.slice(3), keyPrefix } });
    readerToken = await clientToken(A.baseUrl, 'demo-reader', 'demo-reader-secret');
    publisherToken = await clientToken(B.baseUrl, 'demo-publisher', 'demo-publisher-secret');
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.stop()));
  });
  after(async () => {
    await A?.close();
    await B?.close();
    await cluster?.dispose();
  });

  async function connect(node: RunningTradehub, token: string): Promise<TradeClient> {
    const client = await TradeClient.connect(node.tradeHubUrl, token);
    clients.push(client);
    return client;
  }

  it('delivers every SignalR target (all, except, connection, group, user, client result) to connections on both nodes', async () => {
    const a1 = await connect(A, readerToken);
    const b1 = await connect(B, readerToken);
    const b2 = await connect(B, publisherToken);
    const everyone = { a1, b1, b2 };
    const received: Record<string, string[]> = { a1: [], b1: [], b2: [] };
    for (const [name, client] of Object.entries(everyone)) client.connection.on('Msg', (text: string) => received[name]?.push(text));
    const [idA1, idB1, idB2] = await Promise.all([a1, b1, b2].map((client) => client.connectionId())) as [string, string, string];
    const a = A.app.tradeHub;
    const b = B.app.tradeHub;

    /**
     * Sends `text` and then a fence over the same target: channels on different shards keep no
     * order between them, but one channel keeps its own, so a copy of `text` still due would
     * arrive before the fence. Returns what each connection got besides the fences.
     */
    let rounds = 0;
    async function round(send: (text: string) => Promise<void>, expected: Record<string, string[]>): Promise<void> {
      for (const list of Object.values(received)) list.length = 0;
      const text = `m${++rounds}`;
      await send(text);
      await send(`${text}-fence`);
      const recipients = Object.entries(expected).filter(([, texts]) => texts.length > 0).map(([name]) => name);
      await waitUntil(() => recipients.every((name) => received[name]?.includes(`${text}-fence`)), `${text} to reach ${recipients.join(', ')}`);
      const got = Object.fromEntries(Object.entries(received).map(([name, list]) => [name, list.filter((item) => !item.endsWith('-fence'))]));
      assert.deepEqual(got, Object.fromEntries(Object.entries(expected).map(([name, texts]) => [name, texts.length > 0 ? [text] : []])));
    }

    await round((text) => a.clients.all.send('Msg', text), { a1: ['x'], b1: ['x'], b2: ['x'] });
    await round((text) => b.clients.allExcept([idB1]).send('Msg', text), { a1: ['x'], b1: [], b2: ['x'] });
    await round((text) => b.clients.client(idA1).send('Msg', text), { a1: ['x'], b1: [], b2: [] });
    await round((text) => a.clients.clients([idB1, idB2]).send('Msg', text), { a1: [], b1: ['x'], b2: ['x'] });
    await a.groups.add(idB1, 'desk');
    await b.groups.add(idA1, 'desk');
    await round((text) => b.clients.group('desk').send('Msg', text), { a1: ['x'], b1: ['x'], b2: [] });
    await round((text) => a.clients.groupExcept('desk', [idA1]).send('Msg', text), { a1: [], b1: ['x'], b2: [] });
    await round((text) => b.clients.user('demo-reader').send('Msg', text), { a1: ['x'], b1: ['x'], b2: [] });
    await round((text) => a.clients.users(['demo-publisher']).send('Msg', text), { a1: [], b1: [], b2: ['x'] });

    // A client result from a connection on the other node, through its node's command channel and the asker's reply channel.
    b2.connection.on('WhereAreYou', () => 'on node B');
    assert.equal(await a.clients.client(idB2).invoke('WhereAreYou'), 'on node B');
  });

  it('delivers every event of topics spread over the shards to subscribers on both nodes, in order, once', async () => {
    const logins = range(1, 6).map((n) => String(9400 + n));
    const topics = logins.map((login) => `platforms/demo/accounts/${login}`);
    const shards = new Set(await Promise.all(topics.map((topic) => cluster.masterOf(`${keyPrefix}:trade:seq:{${topic}}`))));
    assert.equal(shards.size, 3, 'the topics spread over the 3 masters');
    const publisher = await connect(B, publisherToken);
    const onA = await connect(A, readerToken);
    const onB = await connect(B, readerToken);
    const wildcard = await connect(A, readerToken);
    await onA.subscribe(topics);
    await onB.subscribe(topics);
    await wildcard.subscribe(['platforms/demo/accounts/*']);
    const perTopic = 20;
    for (let round = 1; round <= perTopic; round++) {
      const result = await publisher.publish(logins.map((login) => ev.deal(login, `${round}`, { id: `deal-${login}-${round}` })));
      assert.equal(result.results.filter((outcome) => !outcome.duplicate).length, logins.length);
    }
    for (const client of [onA, onB, wildcard]) {
      await client.waitForEvents(perTopic * topics.length, undefined, 10_000);
      for (const topic of topics) assert.deepEqual(seqs(client.eventsOf(topic)), range(1, perTopic), `${topic} in order, once`);
    }
    // Nothing more is due: one more event per topic is the next thing each subscriber gets.
    await publisher.publish(logins.map((login) => ev.deal(login, '99', { id: `deal-${login}-last` })));
    for (const client of [onA, onB, wildcard]) {
      const events: TradeEnvelope[] = await client.waitForEvents((perTopic + 1) * topics.length, undefined, 10_000);
      assert.equal(events.length, (perTopic + 1) * topics.length);
    }
  });
});

/** A master dies mid-stream: its replica takes over, and no event other than ticks is lost, repeated or reordered. */
describe('Redis Cluster: a master fails over mid-stream', function () {
  this.timeout(90_000);
  let cluster: OwnRedisCluster;
  const keyPrefix = uniqueKeyPrefix();
  let A: RunningTradehub;
  let B: RunningTradehub;
  const clients: TradeClient[] = [];

  before(async () => {
    cluster = await OwnRedisCluster.start();
    A = await startTradehub({ redis: { cluster: cluster.seeds, keyPrefix, commandTimeoutMs: 1_000 } });
    B = await startTradehub({ redis: { cluster: cluster.seeds, keyPrefix, commandTimeoutMs: 1_000 } });
  });
  after(async () => {
    await Promise.all(clients.splice(0).map((client) => client.stop()));
    await A?.close();
    await B?.close();
    await cluster?.dispose();
  });

  async function ready(node: RunningTradehub): Promise<number> {
    return (await fetch(`${node.baseUrl}/health/ready`)).status;
  }

  it('refuses publishes with a retryable error while the shard is down, reports 503, and delivers every event exactly once in order', async () => {
    const readerToken = await clientToken(A.baseUrl, 'demo-reader', 'demo-reader-secret');
    const publisherToken = await clientToken(B.baseUrl, 'demo-publisher', 'demo-publisher-secret');
    const login = '9501';
    const topic = `platforms/demo/accounts/${login}`;
    const publisher = await TradeClient.connect(B.tradeHubUrl, publisherToken);
    const onA = await TradeClient.connect(A.tradeHubUrl, readerToken);
    const onB = await TradeClient.connect(B.tradeHubUrl, readerToken);
    clients.push(publisher, onA, onB);
    await onA.subscribeOne(topic);
    await onB.subscribeOne(topic);

    const total = 80;
    let refusals = 0;
    const refusalTexts = new Set<string>();
    let confirmed = 0;
    /** Publishes deal `n` until it is confirmed stored, as a publisher following the retry contract does (same id). */
    async function publish(n: number): Promise<void> {
      for (;;) {
        try {
          await publisher.publish([ev.deal(login, String(n), { id: `failover-${n}` })]);
          confirmed++;
          return;
        } catch (error) {
          const message = (error as Error).message;
          assert.match(message, /event store is unreachable/, 'a refusal a publisher can recognize as retryable');
          refusals++;
          refusalTexts.add(message.replace(/^.*HubException: /, ''));
          await waitUntil(async () => (await ready(B)) === 200, 'node B ready again', 20_000);
        }
      }
    }

    const master = await cluster.masterOf(`${keyPrefix}:trade:seq:{${topic}}`);
    for (let n = 1; n <= 20; n++) await publish(n);
    const statuses = new Set<number>();
    const watching = setInterval(() => void ready(A).then((status) => statuses.add(status), () => undefined), 50);
    try {
      await cluster.kill(master);
      // Mid-stream: the publisher goes on while the shard is down and its replica takes over.
      for (let n = 21; n <= total; n++) await publish(n);
      await cluster.waitUntilServing();
      await waitUntil(async () => (await ready(A)) === 200 && (await ready(B)) === 200, 'both nodes ready after the failover', 20_000);
    } finally {
      clearInterval(watching);
    }
    assert.equal(confirmed, total);
    assert.ok(statuses.has(503), 'readiness said 503 while the shard was down');
    assert.notEqual(await cluster.masterOf(`${keyPrefix}:trade:seq:{${topic}}`), master, 'the replica took over');

    for (const client of [onA, onB]) {
      await client.waitForEvents(total, topic, 20_000);
      const deals = client.eventsOf(topic).map((envelope) => (envelope.data as { deal: string }).deal);
      assert.deepEqual(deals, range(1, total).map(String), 'every deal once, in order');
      assert.deepEqual(seqs(client.eventsOf(topic)), range(1, total));
    }
    // Nothing more is due: the next event is the next one each subscriber gets.
    await publish(total + 1);
    for (const client of [onA, onB]) assert.equal((await client.waitForEvents(total + 1, topic)).length, total + 1);
    assert.ok(refusals > 0, 'publishes were refused while the shard was down');
    assert.deepEqual([...refusalTexts].map((text) => text.slice(0, 30)), ['The event store is unreachable']);
  });
});
