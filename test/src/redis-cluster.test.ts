import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { LoadReport } from '@tradehub/server/load';
import {
  connectRedis, RedisTerminalPresence, RedisTokenStore, silentLogger, type TerminalHolder,
} from '@tradehub/server';
import type { TradeEnvelope } from '@tradehub/shared';
import { createCluster } from 'redis';
import { OwnRedisCluster } from '@tradehub/bench/redis/own-redis-cluster';
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

  it('delivers ticks (events without an id, hence without a de-duplication key) and the bars built from them', async () => {
    const symbols = ['CL1', 'CL2', 'CL3', 'CL4'];
    const topics = symbols.map((symbol) => `platforms/demo/ticks/${symbol}`);
    const publisher = await connect(A, publisherToken);
    const onB = await connect(B, readerToken);
    await onB.subscribe(topics);
    // Bars are built from the ticks and stored with a compare-and-set on the bar topic's position.
    const bars = 'platforms/demo/bars/CL1/M1';
    const barReader = await connect(B, readerToken);
    await barReader.subscribeOne(bars);
    for (let round = 1; round <= 5; round++) await publisher.publish(symbols.map((symbol) => ev.tick(symbol, 1 + round / 100)));
    await onB.waitForEvents(5 * symbols.length);
    for (const topic of topics) assert.deepEqual(seqs(onB.eventsOf(topic)), range(1, 5));
    await barReader.waitForEvents(1, bars);
    const barEvents = barReader.eventsOf(bars);
    assert.deepEqual(seqs(barEvents), range(1, barEvents.length));
    const late = await connect(A, readerToken);
    const [result] = await late.subscribe([topics[0] as string]);
    assert.equal(result?.status, 'snapshot');
  });

  it('subscribes each node to the shard channel of a topic only while its connections want it, with sharded pub/sub only', async () => {
    const topic = 'platforms/demo/accounts/9450';
    const channel = `${keyPrefix}:trade:events:{${topic}}`;
    const master = await cluster.masterOf(channel);
    const shardSubscribers = async (): Promise<number> => {
      const reply = await cluster.command(master, ['PUBSUB', 'SHARDNUMSUB', channel]) as [string, number];
      return Number(reply[1]);
    };
    const classicSubscribers = async (): Promise<number> => {
      const replies = await Promise.all(cluster.ports.map((port) => cluster.command(port, ['PUBSUB', 'NUMSUB', channel])));
      return replies.reduce<number>((sum, reply) => sum + Number((reply as [string, number])[1]), 0);
    };
    assert.equal(await shardSubscribers(), 0);
    const onA = await connect(A, readerToken);
    await onA.subscribeOne(topic);
    assert.equal(await shardSubscribers(), 1, 'node A only');
    const onB = await connect(B, readerToken);
    await onB.subscribeOne(topic);
    assert.equal(await shardSubscribers(), 2);
    assert.equal(await classicSubscribers(), 0, 'no classic subscription anywhere');
    await onA.unsubscribe([topic]);
    assert.equal(await shardSubscribers(), 1);
  });

  it('carries revocations between the nodes: a JWT revoked on node B closes its connection on node A', async () => {
    const token = await clientToken(A.baseUrl, 'demo-reader', 'demo-reader-secret');
    const client = await connect(A, token);
    let closed = false;
    client.connection.onclose(() => {
      closed = true;
    });
    const answer = await fetch(`${B.baseUrl}/connect/revocation`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from('demo-reader:demo-reader-secret').toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    assert.equal(answer.status, 200);
    await waitUntil(() => closed, 'the connection on node A to close', 3_000);
  });

  it('reads the ingest stream on the cluster and publishes its events to every node', async () => {
    const topic = 'platforms/demo/accounts/9460';
    const onA = await connect(A, readerToken);
    const onB = await connect(B, readerToken);
    await onA.subscribeOne(topic);
    await onB.subscribeOne(topic);
    const feed = createCluster({ rootNodes: [{ url: `redis://${cluster.seeds[0] as string}` }] });
    await feed.connect();
    try {
      for (let n = 1; n <= 10; n++) {
        await feed.xAdd(`${keyPrefix}:ingest`, '*', { events: JSON.stringify([ev.deal('9460', String(n), { id: `ingest-${n}` })]) });
      }
      for (const client of [onA, onB]) assert.deepEqual(seqs(await client.waitForEvents(10, topic, 10_000)), range(1, 10));
      await waitUntil(async () => (await feed.xLen(`${keyPrefix}:ingest`)) === 0, 'every entry to be removed from the stream');
    } finally {
      await feed.close();
    }
  });

  it('moves a topic\'s slot to another master under load: every event once, in order, on both nodes', async () => {
    const login = '9470';
    const topic = `platforms/demo/accounts/${login}`;
    const publisher = await connect(B, publisherToken);
    const onA = await connect(A, readerToken);
    const onB = await connect(B, readerToken);
    await onA.subscribeOne(topic);
    await onB.subscribeOne(topic);
    const total = 60;
    let refusals = 0;
    let migrated: Promise<number> | undefined;
    for (let n = 1; n <= total; n++) {
      if (n === 10) migrated = cluster.migrateSlotOf(`${keyPrefix}:trade:seq:{${topic}}`);
      for (;;) {
        try {
          await publisher.publish([ev.deal(login, String(n), { id: `migrate-${n}` })]);
          break;
        } catch (error) {
          // Keys of a slot in the middle of a move: Redis answers TRYAGAIN, a retryable refusal.
          assert.match((error as Error).message, /event store is unreachable/);
          refusals++;
          assert.ok(refusals < 500, 'publishes go through again once the slot moved');
        }
      }
    }
    const to = await migrated;
    assert.equal(await cluster.masterOf(`${keyPrefix}:trade:seq:{${topic}}`), to);
    for (const client of [onA, onB]) {
      await client.waitForEvents(total, topic, 10_000);
      assert.deepEqual(client.eventsOf(topic).map((envelope) => (envelope.data as { deal: string }).deal), range(1, total).map(String));
      assert.deepEqual(seqs(client.eventsOf(topic)), range(1, total));
    }
  });

  it('tradehub-load publishes through the cluster\'s ingest stream to topics spread over the shards: every event delivered once, in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tradehub-cluster-load-'));
    try {
      const file = join(dir, 'report.json');
      const cli = fileURLToPath(new URL('../../server/dist/load/cli.js', import.meta.url));
      await promisify(execFile)(process.execPath, [
        cli, 'many-topics', '--url', A.baseUrl, '--connections', '20', '--topic-count', '12', '--duration', '2', '--rate', '60', '--drain', '5',
        '--publish-via', 'redis', '--redis-cluster', cluster.seeds.join(','), '--redis-key-prefix', keyPrefix, '--json', file,
      ], { timeout: 30_000, killSignal: 'SIGKILL' });
      const report = JSON.parse(readFileSync(file, 'utf8')) as LoadReport;
      assert.ok(report.publish && report.publish.published >= 100, `published ${report.publish?.published}`);
      assert.ok(report.delivery && report.delivery.received > 0);
      assert.equal(report.delivery.received, report.delivery.expected);
      assert.deepEqual([report.delivery.missing, report.delivery.undelivered, report.delivery.duplicated, report.delivery.reordered], [0, 0, 0, 0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starts with a seed list of which only part is reachable: any live node reveals the cluster', async () => {
    const node = await startTradehub({ redis: { cluster: ['127.0.0.1:1', cluster.seeds[2] as string], keyPrefix, commandTimeoutMs: 500 } });
    try {
      assert.equal((await fetch(`${node.baseUrl}/health/ready`)).status, 200);
    } finally {
      await node.close();
    }
  });

  it('shares terminal presence between nodes, displacements included, over one-key scripts and a sharded channel', async () => {
    const connections = await Promise.all([0, 1].map(() => connectRedis({ clusterNodes: cluster.seeds, commandTimeoutMs: 2_000 }, silentLogger)));
    const presences = await Promise.all(connections.map((redis) =>
      RedisTerminalPresence.start(redis.commands, redis.pubSub, redis.guard, { keyPrefix: `${keyPrefix}-presence` }, silentLogger)));
    try {
      const [a, b] = presences as [RedisTerminalPresence, RedisTerminalPresence];
      const holder = (connectionId: string): TerminalHolder => ({
        platform: 'demo', login: '1001', connectionId, node: connectionId, name: 'EA', tokenId: 'tt_1', since: 1,
      });
      const displaced: TerminalHolder[] = [];
      a.onDisplaced((gone) => displaced.push(gone));
      assert.equal(await a.claim(holder('c1')), undefined);
      assert.deepEqual(await b.find('demo', '1001'), holder('c1'));
      assert.deepEqual(await b.claim(holder('c2')), holder('c1'));
      await b.displace(holder('c1'));
      await waitUntil(() => displaced.length === 1, 'node A to hear of the displacement');
      assert.equal(await a.release('demo', '1001', 'c1'), false, 'only the holder releases');
      assert.equal(await b.release('demo', '1001', 'c2'), true);
    } finally {
      for (const presence of presences) await presence.close();
      for (const redis of connections) await redis.close();
    }
  });

  it('stores terminal tokens and access states with one-slot commands only', async () => {
    const redis = await connectRedis({ clusterNodes: cluster.seeds, commandTimeoutMs: 2_000 }, silentLogger);
    try {
      const store = new RedisTokenStore(redis.commands, redis.guard, `${keyPrefix}-store`);
      const record = {
        id: 'tt_1', name: 'EA', organization: 'demo', platform: 'demo', login: '1001', scopes: [], tokenHash: 'hash-1', createdAt: 1, createdBy: 'admin',
      };
      assert.equal(await store.saveTerminalToken(record), true);
      assert.deepEqual(await store.findTerminalTokenByHash('hash-1'), record);
      const replaced = { ...record, tokenHash: 'hash-2' };
      assert.equal(await store.saveTerminalToken(replaced, 'hash-1'), true);
      assert.equal(await store.findTerminalTokenByHash('hash-1'), undefined, 'the old secret no longer finds the token');
      assert.deepEqual(await store.findTerminalTokenByHash('hash-2'), replaced);
      assert.equal(await store.saveTerminalToken({ ...replaced, revokedAt: 2 }), true);
      assert.equal(await store.saveTerminalToken(replaced), false, 'a revoked token stays revoked');
      assert.deepEqual((await store.listTerminalTokens('demo')).map((token) => token.revokedAt), [2]);
      const states = ['1001', '1002', '1003'].map((login) => ({
        subject: { kind: 'account' as const, organization: 'demo', platform: 'demo', login }, denied: true, changedAt: 1, changedBy: 'admin',
      }));
      for (const state of states) assert.equal(await store.saveAccessState(state), true);
      assert.deepEqual(await store.getAccessStates(states.map((state) => state.subject)), states);
      assert.equal((await store.listAccessStates('demo')).length, 3);
    } finally {
      await redis.close();
    }
  });
});
