import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import {
  api, assertInvalidToken, basic, Cleanup, connectHub, DEMO_READER, decodeJwt, negotiate, postForm, signToken, validClaims, type MyAccess,
} from './support/auth-helpers.js';
import { clientToken, startTradehub, type RunningTradehub } from './support/tradehub-app.js';

interface Jwks {
  keys: Array<JsonWebKey & { kid?: string; alg?: string; use?: string }>;
}

function ecPrivateKeyPem(): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

describe('auth: JWKS and asymmetric signing keys', () => {
  const cleanup = new Cleanup();
  afterEach(async () => {
    await cleanup.run();
  });

  it('publishes an empty key set with the default HS256 configuration', async () => {
    const hub = await startTradehub();
    cleanup.add(() => hub.close());
    const response = await fetch(`${hub.baseUrl}/.well-known/jwks.json`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(response.headers.get('cache-control'), 'public, max-age=300');
    assert.deepEqual(await response.json(), { keys: [] });
  });

  describe('with ES256 and two keys (k2 signs, k1 is the previous key)', () => {
    const newPem = ecPrivateKeyPem();
    const oldPem = ecPrivateKeyPem();
    let hub: RunningTradehub;
    let jwks: Jwks;
    before(async () => {
      hub = await startTradehub({
        config: (config) => {
          config.auth.signing = { algorithm: 'ES256', keys: [{ kid: 'k2', privateKey: newPem }, { kid: 'k1', privateKey: oldPem }] };
          return config;
        },
      });
      const response = await fetch(`${hub.baseUrl}/.well-known/jwks.json`);
      assert.equal(response.status, 200);
      jwks = (await response.json()) as Jwks;
    });
    after(async () => {
      await hub.close();
    });

    function jwkOf(kid: string): JsonWebKey {
      const jwk = jwks.keys.find((key) => key.kid === kid);
      assert.ok(jwk, `no key ${kid} in the JWKS`);
      return jwk;
    }

    it('lists both public keys, and no private part', () => {
      assert.deepEqual(jwks.keys.map((key) => key.kid), ['k2', 'k1']);
      for (const key of jwks.keys) {
        assert.deepEqual(Object.keys(key).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
        assert.equal(key.kty, 'EC');
        assert.equal(key.crv, 'P-256');
        assert.equal(key.alg, 'ES256');
        assert.equal(key.use, 'sig');
        assert.equal(key.d, undefined);
      }
      // Each published key is the public half of the configured private key.
      const expected = createPublicKey(newPem).export({ format: 'jwk' });
      assert.equal(jwkOf('k2').x, expected.x);
      assert.equal(jwkOf('k2').y, expected.y);
    });

    it('signs tokens with k2, verifiable with the published key alone', async () => {
      const token = await clientToken(hub.baseUrl, DEMO_READER.id, DEMO_READER.secret);
      const { header } = decodeJwt(token);
      assert.equal(header.alg, 'ES256');
      assert.equal(header.kid, 'k2');
      const publicKey = createPublicKey({ key: jwkOf('k2'), format: 'jwk' });
      const payload = jwt.verify(token, publicKey, { algorithms: ['ES256'], issuer: 'tradehub', audience: 'tradehub' }) as jwt.JwtPayload;
      assert.equal(payload.sub, 'demo-reader');
      assert.equal(payload.org, 'demo');
      // The other key does not verify it.
      const oldKey = createPublicKey({ key: jwkOf('k1'), format: 'jwk' });
      assert.throws(() => jwt.verify(token, oldKey, { algorithms: ['ES256'] }), /invalid signature/);
    });

    it('still accepts a token signed with the previous key k1 (rotation), on the API and the hub', async () => {
      const claims = validClaims({ sub: 'demo-reader' });
      const token = signToken(claims, { key: oldPem, algorithm: 'ES256', kid: 'k1' });
      const platforms = await api(hub.baseUrl, '/api/platforms', { token });
      assert.equal(platforms.status, 200, platforms.text);
      const connection = await connectHub(cleanup, hub.tradeHubUrl, token);
      const access = await connection.invoke<MyAccess>('GetMyAccess');
      assert.equal(access.subject, 'demo-reader');
      assert.equal(access.expiresAt, (claims.exp as number) * 1000);
    });

    it('refuses a token whose signature does not match its key id, or that names an unknown key', async () => {
      const claims = validClaims();
      // Signed with the old key but claiming the new key's id.
      const mislabelled = signToken(claims, { key: oldPem, algorithm: 'ES256', kid: 'k2' });
      assertInvalidToken(await api(hub.baseUrl, '/api/platforms', { token: mislabelled }), 'The token signature is invalid.');
      const stranger = signToken(claims, { key: ecPrivateKeyPem(), algorithm: 'ES256', kid: 'k3' });
      assertInvalidToken(await negotiate(hub.tradeHubUrl, stranger), 'The token names an unknown signing key.');
    });

    it('refuses an HS256 token keyed with the public key (algorithm confusion)', async () => {
      // The classic attack: HMAC with the published public key as the secret.
      const publicPem = createPublicKey(newPem).export({ format: 'pem', type: 'spki' }).toString();
      const forged = signToken(validClaims(), { key: Buffer.from(publicPem), algorithm: 'HS256', kid: 'k2' });
      assertInvalidToken(await api(hub.baseUrl, '/api/platforms', { token: forged }), 'The token is signed with an algorithm this server does not accept.');
    });

    it('issues ES256 tokens to body-authenticated clients too', async () => {
      const answer = await postForm(`${hub.baseUrl}/connect/token`, { grant_type: 'client_credentials' }, { Authorization: basic(DEMO_READER.id, DEMO_READER.secret) });
      assert.equal(answer.status, 200);
      assert.equal(decodeJwt((answer.json as { access_token: string }).access_token).header.kid, 'k2');
    });
  });

  it('publishes RS256 keys as RSA JWKs', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const hub = await startTradehub({
      config: (config) => {
        config.auth.signing = { algorithm: 'RS256', keys: [{ kid: 'r1', privateKey: pem }] };
        return config;
      },
    });
    cleanup.add(() => hub.close());
    const jwks = (await (await fetch(`${hub.baseUrl}/.well-known/jwks.json`)).json()) as Jwks;
    assert.equal(jwks.keys.length, 1);
    const [key] = jwks.keys;
    assert.ok(key);
    assert.equal(key.kty, 'RSA');
    assert.equal(key.alg, 'RS256');
    assert.equal(key.kid, 'r1');
    assert.equal(key.d, undefined);
    const token = await clientToken(hub.baseUrl, DEMO_READER.id, DEMO_READER.secret);
    const payload = jwt.verify(token, createPublicKey({ key, format: 'jwk' }), { algorithms: ['RS256'] }) as jwt.JwtPayload;
    assert.equal(payload.sub, 'demo-reader');
  });
});
