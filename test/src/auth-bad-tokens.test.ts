import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { HubConnectionState } from '@microsoft/signalr';
import { INTEROP_HUB_PATH } from '@tradehub/shared';
import {
  api, assertInvalidRequest, assertInvalidToken, assertMissingToken, bearerChallenge, Cleanup, connectHub, DEMO_READER, invocationFrame,
  negotiate, nowSeconds, refusedStart, refusedUpgrade, signToken, unsignedToken, validClaims, withTestSecret, type MyAccess,
} from './support/auth-helpers.js';
import { RawHubSocket } from './support/raw-socket.js';
import { clientToken, nodePerBlock, startTradehub } from './support/tradehub-app.js';

const WRONG_ALGORITHM = 'The token is signed with an algorithm this server does not accept.';

interface BadTokenCase {
  name: string;
  token: () => string;
  description: string;
}

const rsaKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

const BAD_TOKENS: BadTokenCase[] = [
  { name: 'alg "none" (unsigned)', token: () => unsignedToken(validClaims()), description: WRONG_ALGORITHM },
  { name: 'HS256 signed with a wrong key', token: () => signToken(validClaims(), { key: 'another-secret-of-forty-characters-xxxxx' }), description: 'The token signature is invalid.' },
  { name: 'RS256 while the server uses HS256', token: () => signToken(validClaims(), { key: rsaKey, algorithm: 'RS256' }), description: WRONG_ALGORITHM },
  { name: 'HS384 with the right secret', token: () => signToken(validClaims(), { algorithm: 'HS384' }), description: WRONG_ALGORITHM },
  { name: 'a wrong audience', token: () => signToken(validClaims({ aud: 'another-service' })), description: 'The token audience is not accepted.' },
  { name: 'a wrong issuer', token: () => signToken(validClaims({ iss: 'https://evil.example' })), description: 'The token issuer is not accepted.' },
  { name: 'an expired token', token: () => signToken(validClaims({ iat: nowSeconds() - 120, nbf: nowSeconds() - 120, exp: nowSeconds() - 60 })), description: 'The token expired.' },
  { name: 'nbf 60 s in the future', token: () => signToken(validClaims({ nbf: nowSeconds() + 60 })), description: 'The token is not valid yet.' },
  { name: 'a malformed token ("abc")', token: () => 'abc', description: 'The token is malformed.' },
  { name: 'an oversized token (8193 characters)', token: () => 'a'.repeat(8193), description: 'The token is too large.' },
  { name: 'a token without org', token: () => signToken(validClaims(), { omit: ['org'] }), description: 'The token lacks required claims.' },
  { name: 'a token without plat', token: () => signToken(validClaims(), { omit: ['plat'] }), description: 'The token lacks required claims.' },
  { name: 'a token with an unknown kind', token: () => signToken(validClaims({ knd: 'root' })), description: 'The token lacks required claims.' },
  { name: 'a token without exp', token: () => signToken(validClaims(), { omit: ['exp'] }), description: 'The token has no expiry.' },
  { name: 'a token naming an unknown key id', token: () => signToken(validClaims(), { kid: 'other' }), description: 'The token names an unknown signing key.' },
  { name: 'an unknown terminal token', token: () => `thub_${'A'.repeat(43)}`, description: 'The token is not recognized.' },
];

describe('auth: bad tokens on the hub and the API', () => {
  const node = nodePerBlock({ config: withTestSecret });
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('accepts a self-signed token with the test secret (the baseline the bad tokens differ from)', async () => {
    const token = signToken(validClaims());
    assert.equal((await api(node().baseUrl, '/api/platforms', { token })).status, 200);
    assert.equal((await negotiate(node().tradeHubUrl, token)).status, 200);
  });

  it('answers a request without token with 401 and a challenge without error attribute', async () => {
    assertMissingToken(await negotiate(node().tradeHubUrl));
    assertMissingToken(await api(node().baseUrl, '/api/platforms'));
    assertMissingToken(await api(node().baseUrl, '/api/organizations'));
    const upgrade = await refusedUpgrade(node().tradeHubUrl);
    assert.equal(upgrade.status, 401);
    assert.equal(upgrade.headers['www-authenticate'], 'Bearer realm="tradehub"');
    const error = await refusedStart(cleanup, node().tradeHubUrl, undefined);
    assert.match(error.message, /Status code '401'/);
    assert.match(error.message, /A bearer token is required\./);
  });

  for (const badToken of BAD_TOKENS) {
    it(`refuses ${badToken.name} everywhere with 401 invalid_token`, async () => {
      const token = badToken.token();
      assertInvalidToken(await negotiate(node().tradeHubUrl, token), badToken.description);
      assertInvalidToken(await negotiate(node().tradeHubUrl, undefined, `&access_token=${encodeURIComponent(token)}`), badToken.description);
      assertInvalidToken(await api(node().baseUrl, '/api/platforms', { token }), badToken.description);

      const upgrade = await refusedUpgrade(node().tradeHubUrl, { Authorization: `Bearer ${token}` });
      assert.equal(upgrade.status, 401);
      assert.equal(upgrade.headers['www-authenticate'], bearerChallenge('invalid_token', badToken.description));
      assert.equal(upgrade.body, badToken.description);

      const error = await refusedStart(cleanup, node().tradeHubUrl, token);
      assert.match(error.message, /^Failed to complete negotiation with the server: .*Status code '401'$/);
      assert.ok(error.message.includes(badToken.description), error.message);
    });
  }

  it('never repeats the refused token in the answer', async () => {
    const token = signToken(validClaims({ aud: 'x' }));
    const answer = await api(node().baseUrl, '/api/platforms', { token });
    assert.equal(answer.status, 401);
    assert.ok(!answer.text.includes(token) && !(answer.headers.get('www-authenticate') ?? '').includes(token));
  });

  it('accepts nbf a little in the future, within the 5 s clock tolerance', async () => {
    const token = signToken(validClaims({ nbf: nowSeconds() + 2 }));
    assert.equal((await api(node().baseUrl, '/api/platforms', { token })).status, 200);
  });

  it('refuses an Authorization header that is not "Bearer <token>" with 400 invalid_request', async () => {
    const description = 'The Authorization header must be "Bearer <token>".';
    for (const value of ['Basic ZGVtbzpkZW1v', 'Bearer', 'Bearer a b']) {
      const answer = await fetch(`${node().baseUrl}/api/platforms`, { headers: { Authorization: value } });
      assert.equal(answer.status, 400, value);
      assert.equal(answer.headers.get('www-authenticate'), 'Bearer realm="tradehub", error="invalid_request", error_description="The Authorization header must be Bearer <token>."');
      assert.deepEqual(await answer.json(), { error: 'invalid_request', error_description: description });
    }
  });

  it('refuses a token in both the Authorization header and the access_token query with 400 invalid_request', async () => {
    const token = await clientToken(node().baseUrl, DEMO_READER.id, DEMO_READER.secret);
    const description = 'The token was sent in more than one way; send it once.';
    assertInvalidRequest(await negotiate(node().tradeHubUrl, token, `&access_token=${token}`), description);
    assertInvalidRequest(await negotiate(node().tradeHubUrl, undefined, `&access_token=${token}&access_token=${token}`), description);
    const upgrade = await refusedUpgrade(`${node().tradeHubUrl}?access_token=${token}`, { Authorization: `Bearer ${token}` });
    assert.equal(upgrade.status, 400);
    assert.equal(upgrade.headers['www-authenticate'], bearerChallenge('invalid_request', description));
  });

  it('refuses the access_token query on an API route with 400 invalid_request, even for a valid token', async () => {
    const token = await clientToken(node().baseUrl, DEMO_READER.id, DEMO_READER.secret);
    const description = 'The access_token query parameter is accepted on hub endpoints only; use the Authorization header.';
    assertInvalidRequest(await api(node().baseUrl, `/api/platforms?access_token=${token}`), description);
    assertInvalidRequest(await api(node().baseUrl, `/api/platforms?access_token=${token}`, { token }), description);
    assertInvalidRequest(await api(node().baseUrl, `/v1/ping?access_token=${token}`), description);
  });

  it('accepts the access_token query on negotiate and on the WebSocket that continues it', async () => {
    const token = await clientToken(node().baseUrl, DEMO_READER.id, DEMO_READER.secret);
    const answer = await negotiate(node().tradeHubUrl, undefined, `&access_token=${token}`);
    assert.equal(answer.status, 200, answer.text);
    const body = answer.json as { connectionId: string; connectionToken: string; availableTransports: Array<{ transport: string }> };
    assert.equal(typeof body.connectionToken, 'string');
    assert.deepEqual(body.availableTransports.map((t) => t.transport), ['WebSockets', 'ServerSentEvents', 'LongPolling']);

    const socket = await RawHubSocket.open(`${node().tradeHubUrl}?id=${body.connectionToken}&access_token=${token}`);
    cleanup.add(() => socket.close());
    await socket.handshake();
    // The trade hub greets every connection with its status before anything else.
    const greeting = await socket.nextNonPing();
    assert.equal(greeting.target, 'OnConnectionStatus');
    socket.send(invocationFrame('1', 'GetMyAccess'));
    const completion = await socket.nextNonPing();
    assert.equal(completion.type, 3);
    assert.equal((completion.result as MyAccess).subject, 'demo-reader');
  });

  it('accepts the access_token query on a WebSocket without negotiation (as browsers send it)', async () => {
    const token = await clientToken(node().baseUrl, DEMO_READER.id, DEMO_READER.secret);
    const socket = await RawHubSocket.open(`${node().tradeHubUrl}?access_token=${encodeURIComponent(token)}`);
    cleanup.add(() => socket.close());
    await socket.handshake();
    assert.equal((await socket.nextNonPing()).target, 'OnConnectionStatus');
    socket.send(invocationFrame('7', 'GetPlatforms'));
    const completion = await socket.nextNonPing();
    assert.deepEqual(completion, { type: 3, invocationId: '7', result: [{ id: 'demo', name: 'Demo MT5 (simulated)', kind: 'mt5' }] });
  });

  it('refuses a negotiated connection continued with another subject\'s token (403)', async () => {
    const readerToken = await clientToken(node().baseUrl, DEMO_READER.id, DEMO_READER.secret);
    const publisherToken = await clientToken(node().baseUrl, 'demo-publisher', 'demo-publisher-secret');
    const answer = await negotiate(node().tradeHubUrl, readerToken);
    const { connectionToken } = answer.json as { connectionToken: string };
    const upgrade = await refusedUpgrade(`${node().tradeHubUrl}?id=${connectionToken}&access_token=${publisherToken}`);
    assert.equal(upgrade.status, 403);
    assert.equal(upgrade.body, 'The connection belongs to another user.');
    // Without any token, the negotiated connection cannot be taken over either.
    assert.equal((await refusedUpgrade(`${node().tradeHubUrl}?id=${connectionToken}`)).status, 401);
  });

  it('connects the official client with its token factory, sending the token in the header', async () => {
    const token = await clientToken(node().baseUrl, DEMO_READER.id, DEMO_READER.secret);
    const connection = await connectHub(cleanup, node().tradeHubUrl, token);
    assert.equal(connection.state, HubConnectionState.Connected);
    const access = await connection.invoke<MyAccess>('GetMyAccess');
    assert.equal(access.subject, 'demo-reader');
  });

  it('does not map the anonymous interop hub unless the configuration asks for it', async () => {
    const answer = await negotiate(`${node().baseUrl}${INTEROP_HUB_PATH}`);
    assert.equal(answer.status, 404, answer.text);
    const withInterop = await startTradehub({ config: withTestSecret, interopHub: true });
    try {
      const open = await negotiate(`${withInterop.baseUrl}${INTEROP_HUB_PATH}`);
      assert.equal(open.status, 200, open.text);
    } finally {
      await withInterop.close();
    }
  });
});
