import assert from 'node:assert/strict';
import { OwnRedisCluster } from '@tradehub/bench/redis/own-redis-cluster';
import { ev, range, seqs, TradeClient } from './support/trade-helpers.js';
import { clientToken, startTradehub, uniqueKeyPrefix, type RunningTradehub } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';

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
    const underWildcard = await TradeClient.connect(A.tradeHubUrl, readerToken);
    clients.push(publisher, onA, onB, underWildcard);
    await onA.subscribeOne(topic);
    await onB.subscribeOne(topic);
    await underWildcard.subscribe(['platforms/demo/accounts/*']);

    // A SignalR group whose channel lives on the shard that will fail, with a member on each node.
    const master = await cluster.masterOf(`${keyPrefix}:trade:seq:{${topic}}`);
    let group = '';
    for (let n = 0; group === ''; n++) if (await cluster.masterOf(`${keyPrefix}:hub:trade:group:g${n}`) === master) group = `g${n}`;
    const messages: Record<string, string[]> = { a: [], b: [] };
    onA.connection.on('Msg', (text: string) => messages.a?.push(text));
    onB.connection.on('Msg', (text: string) => messages.b?.push(text));
    await A.app.tradeHub.groups.add(await onA.connectionId(), group);
    await B.app.tradeHub.groups.add(await onB.connectionId(), group);

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

    for (const client of [onA, onB, underWildcard]) {
      await client.waitForEvents(total, topic, 20_000);
      const deals = client.eventsOf(topic).map((envelope) => (envelope.data as { deal: string }).deal);
      assert.deepEqual(deals, range(1, total).map(String), 'every deal once, in order');
      assert.deepEqual(seqs(client.eventsOf(topic)), range(1, total));
    }
    // Nothing more is due: the next event is the next one each subscriber gets.
    await publish(total + 1);
    for (const client of [onA, onB, underWildcard]) assert.equal((await client.waitForEvents(total + 1, topic)).length, total + 1);

    // The group's channel moved to the new master with its slot: its members on both nodes get a message once.
    await B.app.tradeHub.clients.group(group).send('Msg', 'after the failover');
    await A.app.tradeHub.clients.group(group).send('Msg', 'fence');
    await waitUntil(() => messages.a?.includes('fence') === true && messages.b?.includes('fence') === true, 'the group message on both nodes');
    assert.deepEqual(messages, { a: ['after the failover', 'fence'], b: ['after the failover', 'fence'] });
    assert.ok(refusals > 0, 'publishes were refused while the shard was down');
    assert.deepEqual([...refusalTexts].map((text) => text.slice(0, 30)), ['The event store is unreachable']);
  });
});
