import assert from 'node:assert/strict';
import {
  api, basic, DEMO_PUBLISHER, DEMO_READER, decodeJwt, delay, nowSeconds, postForm, type HttpAnswer,
} from './support/auth-helpers.js';
import { startTradehub, type RunningTradehub } from './support/tradehub-app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const BASIC_CHALLENGE = 'Basic realm="tradehub", charset="UTF-8"';

/** Every token endpoint answer, success or error, must forbid caching (RFC 6749 sections 5.1 and 5.2). */
function assertNoStore(answer: HttpAnswer): void {
  assert.equal(answer.headers.get('cache-control'), 'no-store');
  assert.equal(answer.headers.get('pragma'), 'no-cache');
}

function assertOAuthError(answer: HttpAnswer, status: number, error: string, description: string, basicChallenge = false): void {
  assert.equal(answer.status, status, answer.text);
  assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
  assert.deepEqual(answer.json, { error, error_description: description });
  assert.equal(answer.headers.get('www-authenticate'), basicChallenge ? BASIC_CHALLENGE : null);
  assertNoStore(answer);
}

interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
}

describe('auth: POST /connect/token (client credentials)', () => {
  let hub: RunningTradehub;
  let tokenUrl: string;
  before(async () => {
    hub = await startTradehub({
      config: (config) => {
        // A secret with characters that HTTP Basic must form-encode (RFC 6749 section 2.3.1).
        config.clients.push({ id: 'odd-client', secret: 'se cret:+%/=ü', organization: 'demo', scopes: ['trade.read'] });
        return config;
      },
    });
    tokenUrl = `${hub.baseUrl}/connect/token`;
  });
  after(async () => {
    await hub.close();
  });

  it('issues a token to a client authenticated by HTTP Basic, with the exact response shape', async () => {
    const before = nowSeconds();
    const answer = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { Authorization: basic(DEMO_READER.id, DEMO_READER.secret) });
    assert.equal(answer.status, 200, answer.text);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
    assertNoStore(answer);
    const body = answer.json as TokenResponse;
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 3600);
    assert.equal(body.scope, 'trade.read');

    const { header, payload } = decodeJwt(body.access_token);
    assert.deepEqual(header, { alg: 'HS256', typ: 'JWT', kid: 'hs256' });
    assert.deepEqual(Object.keys(payload).sort(), ['aud', 'exp', 'iat', 'iss', 'jti', 'knd', 'nbf', 'org', 'plat', 'scope', 'sub']);
    assert.equal(payload.iss, 'tradehub');
    assert.equal(payload.aud, 'tradehub');
    assert.equal(payload.sub, 'demo-reader');
    assert.equal(payload.scope, 'trade.read');
    assert.equal(payload.org, 'demo');
    assert.deepEqual(payload.plat, ['demo']);
    assert.equal(payload.knd, 'client');
    assert.match(payload.jti, UUID);
    assert.ok(payload.iat >= before && payload.iat <= nowSeconds(), `iat ${payload.iat}`);
    assert.equal(payload.nbf, payload.iat);
    assert.equal(payload.exp - payload.iat, 3600);

    // And the token is accepted.
    const platforms = await api(hub.baseUrl, '/api/platforms', { token: body.access_token });
    assert.equal(platforms.status, 200, platforms.text);
  });

  it('issues a token to a client authenticated by client_id and client_secret in the body', async () => {
    const answer = await postForm(tokenUrl, { grant_type: 'client_credentials', client_id: DEMO_PUBLISHER.id, client_secret: DEMO_PUBLISHER.secret });
    assert.equal(answer.status, 200, answer.text);
    assertNoStore(answer);
    const body = answer.json as TokenResponse;
    assert.equal(body.scope, 'trade.read trade.publish');
    const { payload } = decodeJwt(body.access_token);
    assert.equal(payload.sub, 'demo-publisher');
    assert.equal(payload.scope, 'trade.read trade.publish');
  });

  it('gives every token its own jti', async () => {
    const form = { grant_type: 'client_credentials', client_id: DEMO_READER.id, client_secret: DEMO_READER.secret };
    const [a, b] = await Promise.all([postForm(tokenUrl, form), postForm(tokenUrl, form)]);
    const jtiA = decodeJwt((a.json as TokenResponse).access_token).payload.jti;
    const jtiB = decodeJwt((b.json as TokenResponse).access_token).payload.jti;
    assert.notEqual(jtiA, jtiB);
  });

  it('decodes form-encoded Basic credentials (RFC 6749 section 2.3.1) and accepts the same secret in the body', async () => {
    const viaBasic = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { Authorization: basic('odd-client', 'se cret:+%/=ü') });
    assert.equal(viaBasic.status, 200, viaBasic.text);
    const viaBody = await postForm(tokenUrl, { grant_type: 'client_credentials', client_id: 'odd-client', client_secret: 'se cret:+%/=ü' });
    assert.equal(viaBody.status, 200, viaBody.text);
    for (const answer of [viaBasic, viaBody]) {
      assert.equal(decodeJwt((answer.json as TokenResponse).access_token).payload.sub, 'odd-client');
    }
  });

  it('accepts client_id in the body next to matching Basic credentials, and refuses a different one', async () => {
    const same = await postForm(tokenUrl, { grant_type: 'client_credentials', client_id: DEMO_READER.id }, { Authorization: basic(DEMO_READER.id, DEMO_READER.secret) });
    assert.equal(same.status, 200, same.text);
    const other = await postForm(tokenUrl, { grant_type: 'client_credentials', client_id: DEMO_PUBLISHER.id }, { Authorization: basic(DEMO_READER.id, DEMO_READER.secret) });
    assertOAuthError(other, 400, 'invalid_request', 'client_id in the body differs from the Basic credentials.');
  });

  it('refuses Basic and body client authentication at once: 400 invalid_request', async () => {
    const answer = await postForm(
      tokenUrl,
      { grant_type: 'client_credentials', client_id: DEMO_READER.id, client_secret: DEMO_READER.secret },
      { Authorization: basic(DEMO_READER.id, DEMO_READER.secret) },
    );
    assertOAuthError(answer, 400, 'invalid_request', 'Authenticate the client one way: HTTP Basic or the form body, not both.');
  });

  it('refuses a wrong secret sent by Basic: 401 invalid_client with a Basic challenge', async () => {
    const answer = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { Authorization: basic(DEMO_READER.id, 'wrong-secret-xyz') });
    assertOAuthError(answer, 401, 'invalid_client', 'Client authentication failed.', true);
  });

  it('refuses a wrong secret sent in the body: 401 invalid_client without a Basic challenge', async () => {
    const answer = await postForm(tokenUrl, { grant_type: 'client_credentials', client_id: DEMO_PUBLISHER.id, client_secret: 'wrong-secret-xyz' });
    assertOAuthError(answer, 401, 'invalid_client', 'Client authentication failed.', false);
  });

  it('refuses an unknown client exactly like a wrong secret (no hint which)', async () => {
    const viaBasic = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { Authorization: basic('no-such-client', 'whatever') });
    assertOAuthError(viaBasic, 401, 'invalid_client', 'Client authentication failed.', true);
    const viaBody = await postForm(tokenUrl, { grant_type: 'client_credentials', client_id: 'no-such-client', client_secret: 'whatever' });
    assertOAuthError(viaBody, 401, 'invalid_client', 'Client authentication failed.', false);
  });

  it('refuses a request without client authentication: 401 invalid_client', async () => {
    const none = await postForm(tokenUrl, { grant_type: 'client_credentials' });
    assertOAuthError(none, 401, 'invalid_client', 'Client authentication is required (HTTP Basic, or client_id and client_secret).');
    const idOnly = await postForm(tokenUrl, { grant_type: 'client_credentials', client_id: DEMO_READER.id });
    assertOAuthError(idOnly, 401, 'invalid_client', 'Client authentication is required (HTTP Basic, or client_id and client_secret).');
  });

  it('refuses an Authorization header that is not HTTP Basic: 401 invalid_client with a Basic challenge', async () => {
    const bearer = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { Authorization: 'Bearer abc' });
    assertOAuthError(bearer, 401, 'invalid_client', 'The Authorization header must be HTTP Basic.', true);
    const noColon = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { Authorization: `Basic ${Buffer.from('demo-reader').toString('base64')}` });
    assertOAuthError(noColon, 401, 'invalid_client', 'The Basic credentials must be client_id:client_secret.', true);
  });

  it('refuses a missing grant_type: 400 invalid_request', async () => {
    const answer = await postForm(tokenUrl, {}, { Authorization: basic(DEMO_READER.id, DEMO_READER.secret) });
    assertOAuthError(answer, 400, 'invalid_request', 'grant_type is required.');
  });

  it('refuses a repeated parameter: 400 invalid_request', async () => {
    const answer = await postForm(tokenUrl, { grant_type: ['client_credentials', 'client_credentials'] }, { Authorization: basic(DEMO_READER.id, DEMO_READER.secret) });
    assertOAuthError(answer, 400, 'invalid_request', 'grant_type must be given once.');
  });

  it('refuses grant_type=password: 400 unsupported_grant_type', async () => {
    const answer = await postForm(tokenUrl, { grant_type: 'password', username: 'u', password: 'p' }, { Authorization: basic(DEMO_READER.id, DEMO_READER.secret) });
    assertOAuthError(answer, 400, 'unsupported_grant_type', 'Only the client_credentials grant is supported.');
  });

  it('grants a requested subset of the client scopes and names it in the response and the token', async () => {
    const answer = await postForm(tokenUrl, { grant_type: 'client_credentials', scope: 'trade.publish' }, { Authorization: basic(DEMO_PUBLISHER.id, DEMO_PUBLISHER.secret) });
    assert.equal(answer.status, 200, answer.text);
    const body = answer.json as TokenResponse;
    assert.equal(body.scope, 'trade.publish');
    assert.equal(decodeJwt(body.access_token).payload.scope, 'trade.publish');

    const repeated = await postForm(tokenUrl, { grant_type: 'client_credentials', scope: 'trade.read  trade.read' }, { Authorization: basic(DEMO_PUBLISHER.id, DEMO_PUBLISHER.secret) });
    assert.equal(repeated.status, 200, repeated.text);
    assert.equal((repeated.json as TokenResponse).scope, 'trade.read');
  });

  it('refuses a scope the client may not have, or an unknown one: 400 invalid_scope', async () => {
    const notAllowed = await postForm(tokenUrl, { grant_type: 'client_credentials', scope: 'trade.read admin' }, { Authorization: basic(DEMO_READER.id, DEMO_READER.secret) });
    assertOAuthError(notAllowed, 400, 'invalid_scope', 'The client may not request: admin.');
    const unknown = await postForm(tokenUrl, { grant_type: 'client_credentials', scope: 'everything' }, { Authorization: basic(DEMO_READER.id, DEMO_READER.secret) });
    assertOAuthError(unknown, 400, 'invalid_scope', 'The client may not request: everything.');
  });

  it('refuses a body that is not application/x-www-form-urlencoded: 400 invalid_request', async () => {
    const response = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: basic(DEMO_READER.id, DEMO_READER.secret) },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    const text = await response.text();
    assert.equal(response.status, 400, text);
    assert.deepEqual(JSON.parse(text), { error: 'invalid_request', error_description: 'The request body must be application/x-www-form-urlencoded.' });
    assert.equal(response.headers.get('cache-control'), 'no-store');
  });

  it('answers GET with 405 and Allow: POST', async () => {
    for (const path of ['/connect/token', '/connect/revocation']) {
      const response = await fetch(`${hub.baseUrl}${path}?grant_type=client_credentials`);
      assert.equal(response.status, 405);
      assert.equal(response.headers.get('allow'), 'POST');
      assert.deepEqual(await response.json(), { error: 'invalid_request', error_description: 'Use POST.' });
    }
  });
});

describe('auth: /connect/token rate limiting of failed client authentications', () => {
  let hub: RunningTradehub;
  afterEach(async () => {
    await hub?.close();
  });

  it('answers 429 with Retry-After after maxFailuresPerAccountAddress failures of a client from one address, even with the right secret, while other clients still work', async () => {
    hub = await startTradehub({
      config: (config) => {
        config.auth.login.maxFailuresPerAccountAddress = 3;
        config.auth.login.failureWindowSeconds = 2;
        return config;
      },
    });
    const tokenUrl = `${hub.baseUrl}/connect/token`;
    const readerWith = (secret: string): Promise<HttpAnswer> =>
      postForm(tokenUrl, { grant_type: 'client_credentials' }, { Authorization: basic(DEMO_READER.id, secret) });

    for (let attempt = 0; attempt < 3; attempt++) {
      assert.equal((await readerWith('wrong-secret-xyz')).status, 401);
    }
    const limited = await readerWith(DEMO_READER.secret);
    assert.equal(limited.status, 429, limited.text);
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 2, `Retry-After ${limited.headers.get('retry-after')}`);
    assert.deepEqual(limited.json, { error: 'invalid_client', error_description: `Too many failed attempts; retry in ${retryAfter} s.` });
    assert.equal(limited.headers.get('cache-control'), 'no-store');
    // Also through body authentication: the limit is per client, not per way of authenticating.
    const limitedBody = await postForm(tokenUrl, { grant_type: 'client_credentials', client_id: DEMO_READER.id, client_secret: DEMO_READER.secret });
    assert.equal(limitedBody.status, 429);

    const other = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { Authorization: basic(DEMO_PUBLISHER.id, DEMO_PUBLISHER.secret) });
    assert.equal(other.status, 200, other.text);

    // Once the window has passed, the right secret works again.
    await delay(retryAfter * 1000 + 100);
    const again = await readerWith(DEMO_READER.secret);
    assert.equal(again.status, 200, again.text);
  });

  it('limits failures per address too: many unknown clients lock out the address', async () => {
    hub = await startTradehub({
      config: (config) => {
        config.auth.login.maxFailuresPerAddress = 4;
        return config;
      },
    });
    const tokenUrl = `${hub.baseUrl}/connect/token`;
    for (let attempt = 0; attempt < 4; attempt++) {
      const answer = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { Authorization: basic(`guess-${attempt}`, 'x') });
      assert.equal(answer.status, 401);
    }
    const limited = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { Authorization: basic(DEMO_PUBLISHER.id, DEMO_PUBLISHER.secret) });
    assert.equal(limited.status, 429, limited.text);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
  });
});
