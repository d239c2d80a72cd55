import assert from 'node:assert/strict';
import { HubConnectionState, type HubConnection } from '@microsoft/signalr';
import {
  ACME_READER, api, assertInsufficientScope, assertInvalidToken, basic, Cleanup, closure, connectHub, DEMO_ADMIN, DEMO_PUBLISHER, DEMO_READER,
  decodeJwt, negotiate, nowSeconds, postForm, refusedStart, signToken, validClaims, withAcme, withTestSecret, within, type MyAccess,
} from './support/auth-helpers.js';
import { nextCall } from './support/official-client.js';
import { clientToken, nodePerBlock } from './support/tradehub-app.js';

describe('auth: the trade hub with authenticated users', () => {
  const node = nodePerBlock({ config: (config) => withAcme(withTestSecret(config)) });
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  const readerToken = (): Promise<string> => clientToken(node().baseUrl, DEMO_READER.id, DEMO_READER.secret);

  it('gives hub methods the caller as context.user (GetMyAccess)', async () => {
    const token = await readerToken();
    const connection = await connectHub(cleanup, node().tradeHubUrl, token);
    const access = await connection.invoke<MyAccess>('GetMyAccess');
    assert.deepEqual(access, {
      subject: 'demo-reader',
      kind: 'client',
      organization: 'demo',
      scopes: ['trade.read'],
      platforms: ['demo'],
      logins: null,
      expiresAt: decodeJwt(token).payload.exp * 1000,
    });
  });

  it('runs GetPlatforms for a token with trade.read', async () => {
    const connection = await connectHub(cleanup, node().tradeHubUrl, await readerToken());
    assert.deepEqual(await connection.invoke('GetPlatforms'), [{ id: 'demo', name: 'Demo MT5 (simulated)', kind: 'mt5' }]);
  });

  it('refuses GetPlatforms to a token without trade.read, and keeps the connection', async () => {
    const token = await clientToken(node().baseUrl, DEMO_PUBLISHER.id, DEMO_PUBLISHER.secret, 'trade.publish');
    assert.equal(decodeJwt(token).payload.scope, 'trade.publish');
    const connection = await connectHub(cleanup, node().tradeHubUrl, token);
    await assert.rejects(connection.invoke('GetPlatforms'), (error: Error) => {
      assert.equal(error.message, "Failed to invoke 'GetPlatforms' because user is unauthorized");
      return true;
    });
    // Methods without a required scope still run, and the connection stays usable.
    const access = await connection.invoke<MyAccess>('GetMyAccess');
    assert.deepEqual(access.scopes, ['trade.publish']);
    const info = await connection.invoke<{ nodeId: string }>('GetServerInfo');
    assert.equal(info.nodeId, node().app.nodeId);
    assert.equal(connection.state, HubConnectionState.Connected);
  });

  it('sends to a user reach every connection of that subject, and no other', async () => {
    const readerA = await connectHub(cleanup, node().tradeHubUrl, await readerToken());
    const readerB = await connectHub(cleanup, node().tradeHubUrl, await readerToken());
    const publisher = await connectHub(cleanup, node().tradeHubUrl, await clientToken(node().baseUrl, DEMO_PUBLISHER.id, DEMO_PUBLISHER.secret));
    const publisherGotX: unknown[][] = [];
    publisher.on('X', (...args: unknown[]) => publisherGotX.push(args));

    const xA = nextCall(readerA, 'X');
    const xB = nextCall(readerB, 'X');
    await node().app.tradeHub.clients.user('demo-reader').send('X', 1);
    assert.deepEqual(await xA, [1]);
    assert.deepEqual(await xB, [1]);

    // Messages arrive in order: once Y (sent to all, after X) reached the publisher, X would have too.
    const ys = [readerA, readerB, publisher].map((connection) => nextCall(connection, 'Y'));
    await node().app.tradeHub.clients.all.send('Y', 2);
    for (const y of ys) assert.deepEqual(await y, [2]);
    assert.deepEqual(publisherGotX, []);
  });

  it('closes a live connection when its token expires, saying so', async () => {
    const exp = nowSeconds() + 2;
    const token = signToken(validClaims({ exp }));
    const connection = await connectHub(cleanup, node().tradeHubUrl, token);
    const opened = Date.now();
    assert.equal((await connection.invoke<MyAccess>('GetMyAccess')).expiresAt, exp * 1000);
    const { error, at } = await closure(connection, 3_500);
    assert.match(String(error?.message), /expired/);
    assert.equal(error?.message, 'Server returned an error on close: The access token expired.');
    // Not before the token expired, and within the heartbeat period (1 s) after.
    assert.ok(at >= exp * 1000 - 50, `closed ${exp * 1000 - at} ms before expiry`);
    assert.ok(at - exp * 1000 <= 1_500, `closed ${at - exp * 1000} ms after expiry`);
    assert.ok(at - opened <= 3_500);
  });

  it('lets a client with automatic reconnect come back with a fresh token from its factory', async () => {
    const exp = nowSeconds() + 2;
    const shortToken = signToken(validClaims({ exp }));
    const issued: string[] = [];
    // Like a real client: reuse the cached token until it expires, then fetch a new one.
    const factory = async (): Promise<string> => {
      if (Date.now() < exp * 1000) return shortToken;
      const fresh = await readerToken();
      issued.push(fresh);
      return fresh;
    };
    const connection = await connectHub(cleanup, node().tradeHubUrl, factory, { automaticReconnect: true });
    const reconnecting = new Promise<Error | undefined>((resolve) => connection.onreconnecting(resolve));
    const reconnected = new Promise<string | undefined>((resolve) => connection.onreconnected(resolve));
    let closed = false;
    connection.onclose(() => {
      closed = true;
    });

    const reason = await reconnecting;
    assert.equal(reason?.message, 'Server returned an error on close: The access token expired.');
    await within(reconnected, 3_000, 'did not reconnect within 3 s');
    assert.equal(connection.state, HubConnectionState.Connected);
    assert.equal(closed, false);
    assert.ok(issued.length >= 1, 'the factory fetched a fresh token');
    const access = await connection.invoke<MyAccess>('GetMyAccess');
    assert.ok(access.expiresAt !== null && access.expiresAt > Date.now() + 3_000_000, 'now on the fresh, hour-long token');
  });

  describe('revocation through POST /connect/revocation (RFC 7009)', () => {
    const revocationUrl = (): string => `${node().baseUrl}/connect/revocation`;

    it('closes the live connection of the revoked token within 1 s, then refuses the token', async () => {
      const token = await readerToken();
      const connection = await connectHub(cleanup, node().tradeHubUrl, token);
      const closed = closure(connection, 2_000);
      const started = Date.now();
      const answer = await postForm(revocationUrl(), { token }, { Authorization: basic(DEMO_READER.id, DEMO_READER.secret) });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.text, '');
      assert.equal(answer.headers.get('cache-control'), 'no-store');
      const { error, at } = await closed;
      assert.ok(at - started < 1_000, `closed after ${at - started} ms`);
      assert.equal(error?.message, 'Server returned an error on close: The access token was revoked.');

      assertInvalidToken(await api(node().baseUrl, '/api/platforms', { token }), 'The token was revoked.');
      assertInvalidToken(await negotiate(node().tradeHubUrl, token), 'The token was revoked.');
      const refused = await refusedStart(cleanup, node().tradeHubUrl, token);
      assert.match(refused.message, /The token was revoked\..*Status code '401'/);
      // The client's other tokens are unaffected.
      assert.equal((await api(node().baseUrl, '/api/platforms', { token: await readerToken() })).status, 200);
    });

    it('accepts client authentication in the body, and token_type_hint', async () => {
      const token = await readerToken();
      const answer = await postForm(revocationUrl(), {
        token, token_type_hint: 'access_token', client_id: DEMO_READER.id, client_secret: DEMO_READER.secret,
      });
      assert.equal(answer.status, 200, answer.text);
      assertInvalidToken(await api(node().baseUrl, '/api/platforms', { token }), 'The token was revoked.');
    });

    it('does nothing when a client revokes another client\'s token', async () => {
      const token = await readerToken();
      const connection = await connectHub(cleanup, node().tradeHubUrl, token);
      let closed = false;
      connection.onclose(() => {
        closed = true;
      });
      const answer = await postForm(revocationUrl(), { token }, { Authorization: basic(DEMO_PUBLISHER.id, DEMO_PUBLISHER.secret) });
      assert.equal(answer.status, 200, answer.text);
      // The same for a client of another organization.
      const acme = await postForm(revocationUrl(), { token }, { Authorization: basic(ACME_READER.id, ACME_READER.secret) });
      assert.equal(acme.status, 200, acme.text);
      // Sentinel: a revocation that must close its connection, by the same path, sent after the
      // two above were answered; once it took effect, theirs would have too.
      const own = await readerToken();
      const sentinel = await connectHub(cleanup, node().tradeHubUrl, own);
      const sentinelClosed = closure(sentinel, 2_000);
      assert.equal((await postForm(revocationUrl(), { token: own }, { Authorization: basic(DEMO_READER.id, DEMO_READER.secret) })).status, 200);
      assert.equal((await sentinelClosed).error?.message, 'Server returned an error on close: The access token was revoked.');
      assert.equal(closed, false);
      assert.equal(connection.state, HubConnectionState.Connected);
      assert.equal((await connection.invoke<MyAccess>('GetMyAccess')).subject, 'demo-reader');
      assert.equal((await api(node().baseUrl, '/api/platforms', { token })).status, 200);
    });

    it('answers 200 for a token it cannot read (RFC 7009 section 2.2)', async () => {
      const answer = await postForm(revocationUrl(), { token: 'not-a-token' }, { Authorization: basic(DEMO_READER.id, DEMO_READER.secret) });
      assert.equal(answer.status, 200, answer.text);
    });

    it('requires client authentication and a token parameter', async () => {
      const token = await readerToken();
      const anonymous = await postForm(revocationUrl(), { token });
      assert.equal(anonymous.status, 401);
      assert.deepEqual(anonymous.json, { error: 'invalid_client', error_description: 'Client authentication is required (HTTP Basic, or client_id and client_secret).' });
      const wrong = await postForm(revocationUrl(), { token }, { Authorization: basic(DEMO_READER.id, 'wrong-secret-xyz') });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.headers.get('www-authenticate'), 'Basic realm="tradehub", charset="UTF-8"');
      // Neither refused request revoked anything.
      assert.equal((await api(node().baseUrl, '/api/platforms', { token })).status, 200);
      const missing = await postForm(revocationUrl(), {}, { Authorization: basic(DEMO_READER.id, DEMO_READER.secret) });
      assert.equal(missing.status, 400);
      assert.deepEqual(missing.json, { error: 'invalid_request', error_description: 'token is required.' });
    });
  });

  describe('revocation through the admin API (POST /api/revocations)', () => {
    it('revokes a token of the admin\'s organization and closes its connection within 1 s', async () => {
      const adminToken = await clientToken(node().baseUrl, DEMO_ADMIN.id, DEMO_ADMIN.secret);
      const token = await readerToken();
      const connection: HubConnection = await connectHub(cleanup, node().tradeHubUrl, token);
      const closed = closure(connection, 2_000);
      const started = Date.now();
      const answer = await api(node().baseUrl, '/api/revocations', { method: 'POST', token: adminToken, body: { token } });
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual(answer.json, { revoked: decodeJwt(token).payload.jti });
      const { at } = await closed;
      assert.ok(at - started < 1_000, `closed after ${at - started} ms`);
      assertInvalidToken(await api(node().baseUrl, '/api/platforms', { token }), 'The token was revoked.');
    });

    it('answers 404 for a token of another organization, and leaves it working', async () => {
      const adminToken = await clientToken(node().baseUrl, DEMO_ADMIN.id, DEMO_ADMIN.secret);
      const acmeToken = await clientToken(node().baseUrl, ACME_READER.id, ACME_READER.secret);
      const answer = await api(node().baseUrl, '/api/revocations', { method: 'POST', token: adminToken, body: { token: acmeToken } });
      assert.equal(answer.status, 404, answer.text);
      assert.deepEqual(answer.json, { error: 'not_found', error_description: 'No such token in your organization.' });
      assert.equal((await api(node().baseUrl, '/api/platforms', { token: acmeToken })).status, 200);
    });

    it('refuses non-admins (403 insufficient_scope) and bad bodies (400)', async () => {
      const token = await readerToken();
      assertInsufficientScope(await api(node().baseUrl, '/api/revocations', { method: 'POST', token, body: { token } }), 'admin');
      assert.equal((await api(node().baseUrl, '/api/platforms', { token })).status, 200);

      const adminToken = await clientToken(node().baseUrl, DEMO_ADMIN.id, DEMO_ADMIN.secret);
      const empty = await api(node().baseUrl, '/api/revocations', { method: 'POST', token: adminToken, body: {} });
      assert.equal(empty.status, 400);
      assert.match((empty.json as { error_description: string }).error_description, /^token: /);
      const garbage = await api(node().baseUrl, '/api/revocations', { method: 'POST', token: adminToken, body: { token: 'abc' } });
      assert.equal(garbage.status, 400);
      assert.deepEqual(garbage.json, { error: 'invalid_token', error_description: 'The token is malformed.' });
    });
  });
});
