import assert from 'node:assert/strict';
import { createClient } from 'redis';
import {
  connectRedis, InMemoryTerminalPresence, RedisTerminalPresence, silentLogger, type RedisConnections, type TerminalHolder, type TerminalPresence,
} from '@tradehub/server';
import { deleteKeys, SHARED_REDIS_URL } from './support/redis-server.js';
import { uniqueKeyPrefix } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';

function holder(connectionId: string, node: string): TerminalHolder {
  return { platform: 'demo', login: '1001', connectionId, node, name: 'EA', tokenId: 'tt_1', since: 1 };
}

/** The presence contract, for both implementations: two "nodes" share one registry. */
function presenceContract(name: string, start: () => Promise<{ a: TerminalPresence; b: TerminalPresence }>): void {
  describe(`${name}: which terminal holds an account`, () => {
    let a: TerminalPresence;
    let b: TerminalPresence;
    beforeEach(async () => ({ a, b } = await start()));

    it('a claim is seen from every node; a newer claim replaces it, and only the holder can release', async () => {
      assert.equal(await a.claim(holder('c1', 'A')), undefined);
      assert.deepEqual(await b.find('demo', '1001'), holder('c1', 'A'));
      const displaced: TerminalHolder[] = [];
      a.onDisplaced((old) => displaced.push(old));
      const replaced = await b.claim(holder('c2', 'B'));
      assert.deepEqual(replaced, holder('c1', 'A'));
      await b.displace(replaced as TerminalHolder);
      await waitUntil(() => displaced.length === 1, 'the displacement heard on node A');
      assert.equal(await a.release('demo', '1001', 'c1'), false);
      assert.deepEqual(await a.find('demo', '1001'), holder('c2', 'B'));
      assert.equal(await b.release('demo', '1001', 'c2'), true);
      assert.equal(await a.find('demo', '1001'), undefined);
    });
  });
}

presenceContract('in memory', async () => {
  const shared = new InMemoryTerminalPresence();
  return { a: shared, b: shared };
});

describe('Redis terminal presence', () => {
  const prefix = uniqueKeyPrefix();
  const connections: RedisConnections[] = [];
  const presences: RedisTerminalPresence[] = [];
  /** Looks at the entries as Redis holds them. */
  const raw = createClient({ url: SHARED_REDIS_URL });

  before(async () => {
    await raw.connect();
  });

  after(async () => {
    await raw.close();
  });

  async function node(ttlMs: number): Promise<RedisTerminalPresence> {
    const redis = await connectRedis({ url: SHARED_REDIS_URL, commandTimeoutMs: 2_000 }, silentLogger);
    connections.push(redis);
    const presence = await RedisTerminalPresence.start(redis.commands, redis.pubSub, redis.guard, { keyPrefix: prefix, ttlMs }, silentLogger);
    presences.push(presence);
    return presence;
  }

  afterEach(async () => {
    for (const presence of presences.splice(0)) await presence.close();
    for (const redis of connections.splice(0)) await redis.close();
    await deleteKeys(SHARED_REDIS_URL, prefix);
  });

  presenceContract('through Redis', async () => ({ a: await node(5_000), b: await node(5_000) }));

  it('keeps an entry while its node lives, and forgets it once a node died without cleaning up', async () => {
    // A TTL of 1.5 s (refreshed every 500 ms): short enough to watch it expire, long enough that
    // a CI machine stalling this process for a few hundred milliseconds does not expire it.
    const a = await node(1_500);
    const b = await node(1_500);
    await a.claim(holder('c1', 'A'));
    // Node A refreshes it: its remaining time goes up again, several times, and it stays.
    const key = `${prefix}:terminal:demo/1001`;
    let refreshes = 0;
    let last = Number.POSITIVE_INFINITY;
    await waitUntil(async () => {
      const remaining = await raw.pTTL(key);
      assert.ok(remaining > 0, 'the entry expired while its node lived');
      if (remaining > last) refreshes++;
      last = remaining;
      return refreshes >= 3;
    }, 'three refreshes', 6_000);
    assert.deepEqual(await b.find('demo', '1001'), holder('c1', 'A'));
    // Node A dies: nothing refreshes, nothing releases.
    await a.close();
    await waitUntil(async () => (await b.find('demo', '1001')) === undefined, 'the entry of the dead node to expire', 4_000);
  });

  it('ignores a malformed entry in Redis instead of trusting it', async () => {
    const a = await node(5_000);
    await raw.hSet(`${prefix}:terminal:demo/1001`, { c: 'x', h: '{"platform":"demo","login":"not a login"}' });
    assert.equal(await a.find('demo', '1001'), undefined);
  });
});
