import assert from 'node:assert/strict';
import { connect, Topics, type TradehubClient, type TradeEventInput } from '@tradehub/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { MarginCallBot } from '../../client/examples/dist/margin-call-bot.js';
import { PUBLISHER, READER, tradeEvents } from './support/client-fixtures.js';
import { waitUntil } from './support/wait.js';
import { HubProcess } from './support/hub-process.js';
import { OwnRedisServer } from './support/redis-server.js';
import { uniqueKeyPrefix } from './support/tradehub-app.js';

const EVENTS = 400;
const LOGINS = ['9001', '9002', '9003'];
/** A login whose first event comes late, while nodes die: it must be seen from its first event too. */
const LATE_LOGIN = '9004';

/** The feed: account changes, positions, deals, orders and margin calls of a few logins, each with an id. */
function feed(): TradeEventInput[] {
  const events: TradeEventInput[] = [];
  for (let n = 1; n <= EVENTS; n++) {
    const login = n > EVENTS / 2 && n % 4 === 0 ? LATE_LOGIN : LOGINS[n % LOGINS.length] as string;
    const id = `done-${n}`;
    switch (n % 5) {
      case 0:
        events.push(tradeEvents.position(login, String(500 + (n % 7)), n % 3 === 0 ? 0 : 10_000 + n, id));
        break;
      case 1:
        events.push(tradeEvents.deal(login, n, id));
        break;
      case 2:
        events.push(tradeEvents.account(login, 10_000 - n, id));
        break;
      case 3:
        events.push(tradeEvents.order(login, String(700 + (n % 5)), n % 2 === 0 ? 'placed' : 'filled', id));
        break;
      default:
        events.push(tradeEvents.marginCall(login, 80 - (n % 30), id));
    }
  }
  return events;
}

describe('done when: a bot on the public API runs through node kills and a Redis restart', function () {
  this.timeout(90_000);
  let redis: OwnRedisServer;
  const nodes: HubProcess[] = [];
  let bot: MarginCallBot | undefined;
  let publisher: TradehubClient | undefined;
  before(async () => {
    redis = await OwnRedisServer.start();
    const env = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: uniqueKeyPrefix() };
    nodes.push(...await Promise.all([HubProcess.start(env), HubProcess.start(env), HubProcess.start(env)]));
  });
  after(async () => {
    await bot?.stop().catch(() => undefined);
    await publisher?.close();
    for (const node of nodes) await node.dispose();
    await redis.dispose();
  });

  it('ends with exactly the events that were published: each once, in order, every margin call handled once', async () => {
    const [nodeA, nodeB, nodeC] = nodes as [HubProcess, HubProcess, HubProcess];
    const log: string[] = [];
    bot = await MarginCallBot.start({
      platform: 'demo',
      connect: { url: [nodeA.baseUrl, nodeB.baseUrl, nodeC.baseUrl], credentials: READER, reconnect: { initialDelayMs: 100, maxDelayMs: 1_000 } },
      log: (line) => log.push(line),
    });
    publisher = await connect({ url: [nodeB.baseUrl, nodeC.baseUrl], credentials: PUBLISHER, reconnect: { initialDelayMs: 100, maxDelayMs: 1_000 } });
    const running = bot;
    const events = feed();
    const publishing = (async () => {
      const writer = (publisher as TradehubClient).publisher({ maxBatch: 10, timeoutMs: 30_000 });
      for (const event of events) {
        await writer.write(event);
        await sleep(8); // a pace, so that the kills and the outage fall mid-stream
      }
      return writer.close();
    })();

    await waitUntil(() => running.eventCount >= 60, 'events before the first kill', 20_000);
    await nodeA.kill();
    await waitUntil(() => running.eventCount >= 150 && running.client.node === nodeB.baseUrl, 'the bot on node B', 20_000);
    await redis.stop();
    // Time itself is the subject: the outage lasts 1.5 s whatever the clients do meanwhile.
    await sleep(1_500);
    await redis.start();
    await waitUntil(() => running.eventCount >= 250, 'events after the Redis restart', 30_000);
    await nodeB.kill();
    const stats = await publishing;
    await waitUntil(() => running.eventCount >= EVENTS, `all ${EVENTS} events`, 30_000);
    // Sentinels, one per topic, once everything arrived: a topic's events reach the bot in order,
    // so a duplicate would come before its topic's sentinel. They count as published events below.
    const sentinels = [
      ...[...LOGINS, LATE_LOGIN].map((login) => tradeEvents.account(login, 20_000, `sentinel-${login}`)),
      tradeEvents.marginCall(LOGINS[0] as string, 50, 'sentinel-margin'),
    ];
    await (publisher as TradehubClient).publish(sentinels);
    events.push(...sentinels);
    const receivedIds = (): Set<string | undefined> => new Set([...running.received.values()].flatMap((list) => list.map((e) => e.id)));
    await waitUntil(() => sentinels.every((sentinel) => receivedIds().has(sentinel.id)), 'the sentinel of every topic', 10_000);

    assert.equal(stats.published, EVENTS);
    assert.equal(running.client.node, nodeC.baseUrl, 'the bot ended on the surviving node');
    assert.deepEqual(running.resets, [], `no topic had to start over; log: ${log.join(' | ')}`);
    // Exactly the published events: per topic, the published ids in order, with seqs 1..n.
    const expected = new Map<string, string[]>();
    for (const event of events) {
      const topic = event.type === 'margin' ? Topics.margin('demo') : Topics.account('demo', (event.data as { login: string }).login);
      expected.set(topic, [...(expected.get(topic) ?? []), event.id as string]);
    }
    assert.deepEqual([...running.received.keys()].sort(), [...expected.keys()].sort());
    for (const [topic, ids] of expected) {
      const received = running.received.get(topic) ?? [];
      assert.deepEqual(received.map((e) => e.id), ids, `the events of ${topic}`);
      assert.deepEqual(received.map((e) => e.seq), ids.map((_, i) => i + 1), `the seqs of ${topic}`);
    }
    assert.equal(running.eventCount, EVENTS + sentinels.length);
    // Every margin call handled once, with the account state known at that point.
    const marginCalls = events.filter((event) => event.type === 'margin');
    assert.deepEqual(running.marginCalls.map((call) => call.event.id), marginCalls.map((event) => event.id));
    // Topics are ordered each on its own: a margin call may come before the first events of a new
    // login's account; for accounts followed long before, the bot knows the account when it reacts.
    for (const call of running.marginCalls) {
      const index = events.findIndex((event) => event.id === call.event.id);
      if (index >= 50 && LOGINS.includes(call.login)) assert.ok(call.account, `the account of ${call.login} at margin call ${call.event.id}`);
    }
    // The bot's local state is the server's.
    const byId = <T extends { position?: string; order?: string }>(items: readonly T[] = []): T[] =>
      [...items].sort((a, b) => String(a.position ?? a.order).localeCompare(String(b.position ?? b.order)));
    for (const login of [...LOGINS, LATE_LOGIN]) {
      const local = running.client.state.account('demo', login);
      const server = await running.client.rest.account('demo', login);
      assert.deepEqual(
        { account: local?.account, positions: byId(local?.positions), orders: byId(local?.orders), seq: local?.seq },
        { account: server.account, positions: byId(server.positions), orders: byId(server.orders), seq: server.seq },
        `the state of ${login}`,
      );
    }
  });
});
