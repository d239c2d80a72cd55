import assert from 'node:assert/strict';
import { SubscriptionRefusedError, Topics, type ConnectionStateChange, type TradeEnvelope } from '@tradehub/client';
import type { ConnectionStatus } from '@tradehub/shared';
import { nowSeconds, signToken, validClaims } from './support/auth-helpers.js';
import { PUBLISHER, tradeEvents } from './support/client-fixtures.js';
import { nodeWithClientPool } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';

/**
 * A token factory as an application would write one: the same 3 s token until it is within
 * 1.5 s of its expiry (negotiate and the WebSocket then share one token), then the next, with
 * `claims(n)` for the n-th token (from 1).
 */
function cachingFactory(claims: (n: number) => Record<string, unknown>): () => string {
  let issued = 0;
  let current: { token: string; expiresAt: number } | undefined;
  return () => {
    if (!current || Date.now() > current.expiresAt - 1_500) {
      const exp = nowSeconds() + 3;
      current = { token: signToken(validClaims({ exp, ...claims(++issued) })), expiresAt: exp * 1000 };
    }
    return current.token;
  };
}

describe('client: in-band token renewal (RenewToken)', function () {
  this.timeout(20_000);
  const { node, pool } = nodeWithClientPool();

  it('renews its 3 s tokens on the live connection before they expire: one connection, no reconnect, no event missed', async () => {
    const expiries: number[] = [];
    const client = await pool.connect({
      url: node().baseUrl,
      tokenFactory: () => {
        const exp = nowSeconds() + 3;
        expiries.push(exp * 1000);
        return signToken(validClaims({ exp }));
      },
    });
    const statuses: ConnectionStatus[] = [];
    const changes: ConnectionStateChange[] = [];
    client.on('status', (status) => statuses.push(status));
    client.on('connection', (change) => changes.push(change));
    await waitUntil(() => client.connectionStatus !== undefined, 'the first OnConnectionStatus');
    const firstStatus = client.connectionStatus;
    const received: TradeEnvelope[] = [];
    const subscription = await client.subscribe(Topics.account('demo', '4101'), (item) => {
      if (item.kind === 'event') received.push(item.event);
    });
    const firstExpiry = expiries[0] as number;
    const publisher = await pool.connect({ url: node().baseUrl, credentials: PUBLISHER });
    // Publish across at least two renewals; the connection would have closed at the first expiry without them.
    let published = 0;
    await waitUntil(async () => {
      await publisher.publish([tradeEvents.deal('4101', ++published, `renew-${published}`)]);
      return Date.now() > firstExpiry + 3_500;
    }, 'two token lifetimes to pass', 12_000);
    await waitUntil(() => received.length === published, () => `every deal (${received.length}/${published})`);
    subscription.unsubscribe();

    assert.deepEqual(received.map((e) => e.seq), Array.from({ length: published }, (_, i) => i + 1));
    assert.deepEqual(changes, [], 'no reconnect');
    assert.deepEqual(statuses, [], 'no other connection than the first');
    assert.equal(client.connectionStatus?.connectionId, firstStatus?.connectionId);
    assert.ok(expiries.length >= 3, `renewed at least twice (${expiries.length} tokens)`);
    // On a token of the factory (its last one, unless a renewal is on its way), past the first token's end.
    const expiresAt = (await client.myAccess())?.expiresAt ?? 0;
    assert.ok(expiries.includes(expiresAt) && expiresAt >= firstExpiry + 3_000, `the connection lives on a later token (${expiresAt - firstExpiry} ms later)`);
  });

  it('reconnects with a fresh token when the server refuses the renewal (a wider token)', async () => {
    const client = await pool.connect({
      url: node().baseUrl,
      // The first token reads; every later one may also publish: not a renewal the server takes, but a new connection may.
      tokenFactory: cachingFactory((n) => ({ scope: n === 1 ? 'trade.read' : 'trade.read trade.publish' })),
    });
    const statuses: ConnectionStatus[] = [];
    const changes: ConnectionStateChange[] = [];
    client.on('status', (status) => statuses.push(status));
    client.on('connection', (change) => changes.push(change));
    await waitUntil(() => statuses.length >= 1, 'a second connection', 8_000);
    assert.deepEqual(statuses[0]?.scopes, ['trade.read', 'trade.publish']);
    assert.deepEqual(changes.map((c) => c.state), ['reconnecting', 'connected']);
    // It reconnected at the refusal, before the first token expired (that would say "access token expired").
    assert.equal(changes[0]?.reason, undefined);
    assert.deepEqual((await client.myAccess())?.scopes, ['trade.read', 'trade.publish']);
  });

  it('ends the subscriptions a narrower renewed token no longer allows, keeping the others', async () => {
    const client = await pool.connect({
      url: node().baseUrl,
      tokenFactory: cachingFactory((n) => (n === 1 ? {} : { logins: ['4201'] })),
    });
    const changes: ConnectionStateChange[] = [];
    client.on('connection', (change) => changes.push(change));
    const kept = await client.subscribe(Topics.account('demo', '4201'), () => undefined);
    const dropped = await client.subscribe(Topics.account('demo', '4202'), () => undefined);
    const ending = await dropped.ended;
    assert.ok(ending instanceof SubscriptionRefusedError, String(ending));
    assert.equal(ending.topic, Topics.account('demo', '4202'));
    assert.match(ending.message, /renewed token does not allow it/);
    assert.deepEqual(changes, [], 'renewed in band');
    assert.deepEqual((await client.myAccess())?.logins, ['4201']);
    kept.unsubscribe();
  });
});
