import assert from 'node:assert/strict';
import { Topics, type ConnectionStateChange, type TradeEnvelope } from '@tradehub/client';
import { basic, nowSeconds, postForm, signToken, validClaims } from './support/auth-helpers.js';
import { PUBLISHER, READER, tradeEvents } from './support/client-fixtures.js';
import { waitUntil } from './support/wait.js';
import type { TradehubConfig } from '@tradehub/server';
import { clientToken, nodeWithClientPool, startTradehub } from './support/tradehub-app.js';

describe('client: token renewal mid-stream', function () {
  this.timeout(30_000);
  const { node, pool } = nodeWithClientPool();

  /** Publishes `count` deals to a login, `gapMs` apart, in the background. */
  async function publishDeals(login: string, count: number, gapMs: number, prefix: string): Promise<void> {
    const publisher = await pool.connect({ url: node().baseUrl, credentials: PUBLISHER });
    for (let n = 1; n <= count; n++) {
      await publisher.publish([tradeEvents.deal(login, n, `${prefix}-${n}`)]);
      await new Promise((resolve) => setTimeout(resolve, gapMs)); // a pace, so that a token expires mid-stream
    }
  }

  it('reconnects with a fresh token from the factory when its 2 s token expires, and goes on without a gap', async () => {
    const issued: number[] = [];
    const refusedSeen: Array<string | undefined> = [];
    // Each token the factory signs lives 2 s, and the factory gives a new one only once told the last one ended:
    // the in-band renewal finds nothing newer, so the server closes the connection at expiry and the client reconnects.
    let current: string | undefined;
    const reader = await pool.connect({
      url: node().baseUrl,
      tokenFactory: ({ refused }) => {
        refusedSeen.push(refused);
        if (current !== undefined && current !== refused) return current;
        issued.push(Date.now());
        current = signToken(validClaims({ exp: nowSeconds() + 2 }));
        return current;
      },
    });
    const changes: ConnectionStateChange[] = [];
    reader.on('connection', (change) => changes.push(change));
    const topic = Topics.account('demo', '4001');
    const received: TradeEnvelope[] = [];
    const kinds: string[] = [];
    const subscription = await reader.subscribe(topic, (item) => {
      kinds.push(item.kind);
      if (item.kind === 'event') received.push(item.event);
    });
    await publishDeals('4001', 120, 40, 'exp');
    await waitUntil(() => received.length === 120, 'every deal', 10_000);
    subscription.unsubscribe();

    assert.deepEqual(received.map((e) => e.seq), Array.from({ length: 120 }, (_, i) => i + 1));
    assert.deepEqual(kinds.filter((k) => k !== 'event'), ['snapshot']);
    const expiries = changes.filter((c) => c.state === 'reconnecting');
    assert.ok(expiries.length >= 2, `expected at least 2 expiries in ${changes.length} changes`);
    for (const change of expiries) assert.match(String(change.reason?.message), /access token expired/);
    assert.ok(issued.length >= 3, 'a fresh token at every reconnect');
    const told = new Set(refusedSeen.filter((refused) => refused !== undefined));
    assert.ok(told.size >= expiries.length, 'the factory is told which token ended');
  });

  it('with client credentials, renews the token before it expires and hands it to the live connection: no reconnect, no 401', async () => {
    // Tokens live 6 s here: the client renews at 80% of the lifetime, the server would close the connection at 100%.
    const shortLived = await startTradehub({ config: (config) => ({ ...config, auth: { ...config.auth, accessTokenLifetimeSeconds: 6 } }) });
    try {
      const lines: string[] = [];
      const obtained = (): number => lines.filter((line) => /obtained an access token/.test(line)).length;
      const client = await pool.connect({ url: shortLived.baseUrl, credentials: READER, logger: { debug: (line) => lines.push(line), info: (line) => lines.push(line) } });
      const changes: ConnectionStateChange[] = [];
      client.on('connection', (change) => changes.push(change));
      assert.equal(obtained(), 1);
      const first = await client.myAccess();
      // Past the first token's end, the connection is still the first one, on a later token.
      await waitUntil(() => lines.filter((line) => /renewed the connection's token in band/.test(line)).length >= 2, 'two in-band renewals', 12_000);
      assert.deepEqual(changes, []);
      const now = await client.myAccess();
      assert.ok((now?.expiresAt ?? 0) > (first?.expiresAt ?? Infinity) + 5_000, 'the connection lives on a later token');
      assert.ok(obtained() >= 3);
      assert.deepEqual(lines.filter((line) => /\b401\b|Unauthorized/.test(line)), []);
    } finally {
      await pool.closeAll();
      await shortLived.close();
    }
  });

  it('with client credentials, fetches a new token when a node refuses the current one (401) after a failover', async () => {
    // Two nodes with different keys: a token of one is refused by the other, as after a key change.
    const withSecret = (secret: string) => (config: TradehubConfig): TradehubConfig => {
      config.auth.signing = { algorithm: 'HS256', secret };
      return config;
    };
    const first = await startTradehub({ config: withSecret('first-node-hs256-secret-0123456789abcdefgh') });
    const second = await startTradehub({ config: withSecret('second-node-hs256-secret-0123456789abcdefg') });
    let firstOpen = true;
    try {
      const lines: string[] = [];
      const client = await pool.connect({ url: [first.baseUrl, second.baseUrl], credentials: READER, logger: { info: (line) => lines.push(line), debug: (line) => lines.push(line) } });
      assert.equal((await client.serverInfo()).nodeId, first.app.nodeId);
      const connected = new Promise<void>((resolve) => client.on('connection', ({ state }) => state === 'connected' && resolve()));
      await first.close();
      firstOpen = false;
      await connected;
      assert.equal(client.node, second.baseUrl);
      assert.equal((await client.serverInfo()).nodeId, second.app.nodeId);
      assert.equal(lines.filter((line) => line.includes('obtained an access token')).length, 2, 'one token per node');
      assert.ok(lines.some((line) => /refused the access token|401/.test(line)), 'the second node refused the first token');
    } finally {
      await pool.closeAll();
      if (firstOpen) await first.close();
      await second.close();
    }
  });

  it('gets another token after a revocation closed the connection, and goes on without a gap', async () => {
    const tokens: string[] = [];
    const reader = await pool.connect({
      url: node().baseUrl,
      tokenFactory: async ({ refused }) => {
        // Like a cache: the same token until the server refused it.
        const current = tokens.at(-1);
        if (current !== undefined && current !== refused) return current;
        tokens.push(await clientToken(node().baseUrl, READER.clientId, READER.clientSecret));
        return tokens.at(-1) as string;
      },
    });
    const topic = Topics.account('demo', '4002');
    const received: TradeEnvelope[] = [];
    const subscription = await reader.subscribe(topic, (item) => {
      if (item.kind === 'event') received.push(item.event);
    });
    const publishing = publishDeals('4002', 60, 20, 'rev');
    await waitUntil(() => received.length >= 15, '15 deals');
    const answer = await postForm(`${node().baseUrl}/connect/revocation`, { token: tokens[0] as string }, { Authorization: basic(READER.clientId, READER.clientSecret) });
    assert.equal(answer.status, 200);
    await publishing;
    await waitUntil(() => received.length === 60, 'every deal', 10_000);
    subscription.unsubscribe();
    assert.deepEqual(received.map((e) => e.seq), Array.from({ length: 60 }, (_, i) => i + 1));
    assert.equal(tokens.length, 2, 'one new token, after the revocation');
  });
});
