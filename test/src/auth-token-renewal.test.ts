import assert from 'node:assert/strict';
import { HubConnectionState, type HubConnection } from '@microsoft/signalr';
import { TradeHubMethod, type TokenRenewal, type TradeEnvelope } from '@tradehub/shared';
import {
  Cleanup, closure, connectHub, createTerminalToken, decodeJwt, nowSeconds, signToken, validClaims, withAcme, withTestSecret,
  type MyAccess,
} from './support/auth-helpers.js';
import { deleteKeys, SHARED_REDIS_URL } from './support/redis-server.js';
import { ev } from './support/trade-helpers.js';
import { clientToken, nodePerBlock, startTradehub, uniqueKeyPrefix, type RunningTradehub } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';

const HUB_ERROR = 'An unexpected error occurred invoking \'RenewToken\' on the server. HubException: ';

function renew(connection: HubConnection, token: string): Promise<TokenRenewal> {
  return connection.invoke<TokenRenewal>(TradeHubMethod.RenewToken, token);
}

async function refusedRenewal(connection: HubConnection, token: string): Promise<string> {
  const error = await renew(connection, token).then(() => undefined, (reason: Error) => reason);
  assert.ok(error, 'the renewal was accepted');
  assert.ok(error.message.startsWith(HUB_ERROR), error.message);
  return error.message.slice(HUB_ERROR.length);
}

/** Whether the connection closed, and why; kept from the moment it is watched. */
function watchClose(connection: HubConnection): { closed: boolean; error: Error | undefined } {
  const state = { closed: false, error: undefined as Error | undefined };
  connection.onclose((error) => {
    state.closed = true;
    state.error = error;
  });
  return state;
}

/**
 * Renews a connection's token, then revokes the old token id with `revoke` (a connection still on
 * the old token shows when that was carried out): the renewed connection stays open; revoking the
 * new id closes it within a second.
 */
async function assertRevocationFollowsRenewal(cleanup: Cleanup, hubUrl: string, revoke: (jti: string, expiresAt: number) => Promise<void>): Promise<void> {
  const oldToken = signToken(validClaims());
  const renewed = await connectHub(cleanup, hubUrl, oldToken);
  const watched = watchClose(renewed);
  const newToken = signToken(validClaims());
  await renew(renewed, newToken);
  const witness = await connectHub(cleanup, hubUrl, oldToken);
  const witnessClosed = closure(witness, 2_000);
  const old = decodeJwt(oldToken).payload;
  await revoke(old.jti, old.exp * 1000);
  assert.equal((await witnessClosed).error?.message, 'Server returned an error on close: The access token was revoked.');
  assert.equal(watched.closed, false);
  assert.equal(renewed.state, HubConnectionState.Connected);
  assert.equal((await renewed.invoke<MyAccess>('GetMyAccess')).subject, 'demo-reader');

  const renewedClosed = closure(renewed, 2_000);
  const started = Date.now();
  const next = decodeJwt(newToken).payload;
  await revoke(next.jti, next.exp * 1000);
  const { error, at } = await renewedClosed;
  assert.equal(error?.message, 'Server returned an error on close: The access token was revoked.');
  assert.ok(at - started < 1_000, `closed after ${at - started} ms`);
}

describe('auth: in-band token renewal (RenewToken)', () => {
  const node = nodePerBlock({ config: (config) => withAcme(withTestSecret(config)) });
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('extends a live connection past its first token\'s expiry, with no reconnect', async () => {
    const firstExp = nowSeconds() + 2;
    const connection = await connectHub(cleanup, node().tradeHubUrl, signToken(validClaims({ exp: firstExp })));
    const watched = watchClose(connection);
    const nextExp = nowSeconds() + 120;
    const renewal = await renew(connection, signToken(validClaims({ exp: nextExp })));
    assert.deepEqual(renewal, { expiresAt: nextExp * 1000, scopes: ['trade.read'], platforms: ['demo'], logins: null, droppedTopics: [] });
    // The heartbeat closes expired connections within a second: well past the first expiry, it is still open.
    await waitUntil(() => Date.now() > firstExp * 1000 + 1_500 || watched.closed, 'the first token\'s expiry to pass', 5_000);
    assert.equal(watched.closed, false, String(watched.error));
    assert.equal(connection.state, HubConnectionState.Connected);
    assert.equal((await connection.invoke<MyAccess>('GetMyAccess')).expiresAt, nextExp * 1000);
  });

  it('closes the connection at the new token\'s expiry when that comes sooner', async () => {
    const connection = await connectHub(cleanup, node().tradeHubUrl, signToken(validClaims({ exp: nowSeconds() + 300 })));
    const nextExp = nowSeconds() + 2;
    const closed = closure(connection, 4_000);
    await renew(connection, signToken(validClaims({ exp: nextExp })));
    const { error, at } = await closed;
    assert.equal(error?.message, 'Server returned an error on close: The access token expired.');
    assert.ok(at >= nextExp * 1000 - 50 && at - nextExp * 1000 <= 1_500, `closed ${at - nextExp * 1000} ms after the new expiry`);
  });

  it('refuses a wider token: more scopes, or no login restriction where there was one, or more logins', async () => {
    const reader = await connectHub(cleanup, node().tradeHubUrl, signToken(validClaims()));
    assert.equal(
      await refusedRenewal(reader, signToken(validClaims({ scope: 'trade.read trade.publish' }))),
      'The new token has scope \'trade.publish\', which the connection\'s token lacks: a renewal may narrow access, never widen it.',
    );
    const restricted = await connectHub(cleanup, node().tradeHubUrl, signToken(validClaims({ logins: ['5001'] })));
    assert.equal(
      await refusedRenewal(restricted, signToken(validClaims())),
      'The new token is not restricted to logins, while the connection\'s token is: a renewal may narrow access, never widen it.',
    );
    assert.equal(
      await refusedRenewal(restricted, signToken(validClaims({ logins: ['5001', '5002'] }))),
      'The new token reaches login \'5002\', which the connection\'s token does not: a renewal may narrow access, never widen it.',
    );
    // Refused renewals change nothing: the connection keeps its token and its rights.
    const access = await reader.invoke<MyAccess>('GetMyAccess');
    assert.deepEqual(access.scopes, ['trade.read']);
    assert.equal((await renew(restricted, signToken(validClaims({ logins: ['5001'] })))).logins?.join(), '5001');
  });

  it('refuses another subject, another organization, and expired, revoked or garbage tokens', async () => {
    const connection = await connectHub(cleanup, node().tradeHubUrl, signToken(validClaims()));
    assert.equal(
      await refusedRenewal(connection, await clientToken(node().baseUrl, 'demo-publisher', 'demo-publisher-secret', 'trade.read')),
      'The new token belongs to another subject: a connection renews only with a token of its own subject.',
    );
    assert.equal(
      await refusedRenewal(connection, signToken(validClaims({ org: 'acme', plat: ['acme-mt5'] }))),
      'The new token belongs to another organization.',
    );
    assert.equal(await refusedRenewal(connection, signToken(validClaims({ exp: nowSeconds() - 10 }))), 'The new token was refused: The token expired.');
    const revoked = signToken(validClaims());
    const { jti, exp } = decodeJwt(revoked).payload;
    await node().app.revoke(jti, exp * 1000);
    assert.equal(await refusedRenewal(connection, revoked), 'The new token was refused: The token was revoked.');
    assert.equal(await refusedRenewal(connection, 'not-a-token'), 'The new token was refused: The token is malformed.');
    const empty = await renew(connection, '').then(() => undefined, (reason: Error) => reason);
    assert.match(String(empty?.message), /^Failed to invoke 'RenewToken' due to an error on the server\. InvalidDataException: /);
    // No refusal echoes the token it was given.
    const secretLooking = `${revoked}x`;
    assert.ok(!(await refusedRenewal(connection, secretLooking)).includes(secretLooking));
    assert.equal(connection.state, HubConnectionState.Connected);
  });

  it('ties the connection to the new token id: revoking the old one leaves it open, revoking the new one closes it', async () => {
    await assertRevocationFollowsRenewal(cleanup, node().tradeHubUrl, (jti, expiresAt) => node().app.revoke(jti, expiresAt));
  });

  it('narrows rights for later calls and drops the subscriptions the new token does not allow', async () => {
    const publisher = await connectHub(cleanup, node().tradeHubUrl, await clientToken(node().baseUrl, 'demo-publisher', 'demo-publisher-secret'));
    const connection = await connectHub(cleanup, node().tradeHubUrl, signToken(validClaims({ scope: 'trade.read trade.publish' })));
    const events: TradeEnvelope[] = [];
    connection.on('OnEvent', (envelope: TradeEnvelope) => events.push(envelope));
    const mine = 'platforms/demo/accounts/5001';
    const other = 'platforms/demo/accounts/5002';
    await connection.invoke('Subscribe', [mine, other, 'platforms/demo/ticks/EURUSD']);
    await publisher.invoke('Publish', [ev.account('5002', 100), ev.account('5001', 100)]);
    await waitUntil(() => events.length === 2, 'both accounts\' events before the renewal');

    const renewal = await renew(connection, signToken(validClaims({ scope: 'trade.read', logins: ['5001'] })));
    assert.deepEqual(renewal.droppedTopics, [other]);
    assert.deepEqual(renewal.scopes, ['trade.read']);
    await publisher.invoke('Publish', [ev.account('5002', 200), ev.tick('EURUSD', 1.1), ev.account('5001', 200)]);
    await waitUntil(() => events.some((e) => e.topic === mine && e.seq === 2), 'the second event of the login still allowed');
    assert.deepEqual(events.filter((e) => e.topic === other).map((e) => e.seq), [1], 'nothing of the dropped topic after the renewal');
    assert.ok(events.some((e) => e.topic === 'platforms/demo/ticks/EURUSD'), 'ticks stay allowed to a token restricted to logins');
    // Later calls follow the new token: no publishing, no other login.
    await assert.rejects(connection.invoke('Publish', [ev.account('5001', 1)]), /unauthorized/);
    const [refused] = await connection.invoke<Array<{ status: string }>>('Subscribe', [other]);
    assert.equal(refused?.status, 'error');
  });

  it('ends the topic streams a narrower token no longer allows, with an error saying so, and keeps the others', async () => {
    const publisher = await connectHub(cleanup, node().tradeHubUrl, await clientToken(node().baseUrl, 'demo-publisher', 'demo-publisher-secret'));
    const connection = await connectHub(cleanup, node().tradeHubUrl, signToken(validClaims()));
    const follow = (topic: string): { items: unknown[]; error: Error | undefined; done: boolean } => {
      const state = { items: [] as unknown[], error: undefined as Error | undefined, done: false };
      connection.stream('StreamTopic', topic).subscribe({
        next: (item) => state.items.push(item),
        error: (error: Error) => {
          state.error = error;
          state.done = true;
        },
        complete: () => {
          state.done = true;
        },
      });
      return state;
    };
    const mine = follow('platforms/demo/accounts/5101');
    const other = follow('platforms/demo/accounts/5102');
    await waitUntil(() => mine.items.length === 1 && other.items.length === 1, 'the first item of both streams');
    await renew(connection, signToken(validClaims({ logins: ['5101'] })));
    await waitUntil(() => other.done, 'the stream of the login no longer allowed to end');
    assert.match(String(other.error?.message), /The connection's renewed token does not allow topic 'platforms\/demo\/accounts\/5102'\./);
    await publisher.invoke('Publish', [ev.account('5101', 100)]);
    await waitUntil(() => mine.items.length === 2, 'the next event of the allowed stream');
    assert.equal(mine.done, false);
  });

  it('renews a terminal token only as the same terminal token', async () => {
    const admin = await clientToken(node().baseUrl, 'demo-admin', 'demo-admin-secret');
    const terminal = await createTerminalToken(node().baseUrl, admin, { name: 'renewal-a', platform: 'demo', login: '5001' });
    const another = await createTerminalToken(node().baseUrl, admin, { name: 'renewal-b', platform: 'demo', login: '5001' });
    const connection = await connectHub(cleanup, node().tradeHubUrl, terminal.token);
    const renewal = await renew(connection, terminal.token);
    assert.deepEqual(renewal.logins, ['5001']);
    assert.equal(
      await refusedRenewal(connection, another.token),
      'The new token belongs to another subject: a connection renews only with a token of its own subject.',
    );
  });
});

describe('auth: in-band token renewal across nodes (Redis)', () => {
  const prefix = uniqueKeyPrefix();
  const cleanup = new Cleanup();
  let a: RunningTradehub;
  let b: RunningTradehub;
  before(async () => {
    const options = { redis: { url: SHARED_REDIS_URL, keyPrefix: prefix }, config: withTestSecret };
    a = await startTradehub(options);
    b = await startTradehub(options);
  });
  after(async () => {
    await cleanup.run();
    await Promise.all([a.close(), b.close()]);
    await deleteKeys(SHARED_REDIS_URL, prefix);
  });

  it('a revocation on another node follows the renewed token: the old id leaves the connection open, the new one closes it', async () => {
    await assertRevocationFollowsRenewal(cleanup, a.tradeHubUrl, (jti, expiresAt) => b.app.revoke(jti, expiresAt));
  });
});
