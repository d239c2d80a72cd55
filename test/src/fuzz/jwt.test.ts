import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { api, assertInvalidToken, basic, DEMO_READER, postForm, TEST_HS256_SECRET, validClaims, withTestSecret } from '../support/auth-helpers.js';
import { byteEdits, fuzzRuns, mutate, ProcessProblems } from '../support/fuzz.js';
import { send, type FuzzAnswer } from '../support/http-fuzz.js';
import { refusedUpgrade } from '../support/protocol-helpers.js';
import { startTradehub, type RunningTradehub } from '../support/tradehub-app.js';

/**
 * Mutated and forged JWTs on every door that takes a bearer token (an API route, JSON-RPC,
 * negotiate by header and by query, a WebSocket upgrade): always 401 with the RFC 6750 answer,
 * never a 500, never the token repeated back.
 */

const part = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A token signed with the server's HS256 secret, whatever its header and claims say. */
function signed(header: unknown, claims: unknown): string {
  const input = `${part(header)}.${part(claims)}`;
  return `${input}.${createHmac('sha256', TEST_HS256_SECRET).update(input).digest('base64url')}`;
}

const validHeader = { alg: 'HS256', typ: 'JWT', kid: 'hs256' };

/** Header variants: other algorithms (none among them), unknown or odd key ids, wrong types. */
const header = fc.oneof(
  fc.record({
    alg: fc.constantFrom('none', 'None', 'HS384', 'HS512', 'RS256', 'ES256', 'PS256', '', 'hs256'),
    typ: fc.constantFrom('JWT', 'jwt', 'at+jwt'),
    kid: fc.oneof(fc.constantFrom('hs256', 'other', '../../etc/passwd', ''), fc.jsonValue({ maxDepth: 1 })),
  }, { requiredKeys: ['alg'] }),
  fc.record({ alg: fc.jsonValue({ maxDepth: 1 }), kid: fc.jsonValue({ maxDepth: 1 }), crit: fc.jsonValue({ maxDepth: 1 }), jku: fc.constant('http://127.0.0.1:1/jwks') }, { requiredKeys: [] }),
  fc.jsonValue({ maxDepth: 2 }),
);

/** Claims with some replaced by values of any type, some removed, or a huge one added. */
const claims = fc.oneof(
  fc.tuple(
    fc.subarray(['iss', 'aud', 'sub', 'jti', 'scope', 'org', 'plat', 'knd', 'iat', 'nbf', 'exp']),
    fc.array(fc.jsonValue({ maxDepth: 2 }), { minLength: 11, maxLength: 11 }),
  ).map(([names, values]) => {
    const out = validClaims();
    names.forEach((name, index) => {
      out[name] = values[index];
    });
    return out;
  }),
  fc.constantFrom(...['exp', 'sub', 'aud', 'iss', 'jti']).map((name) => {
    const out = validClaims();
    delete out[name];
    return out;
  }),
  fc.integer({ min: 1, max: 9000 }).map((size) => validClaims({ padding: 'x'.repeat(size) })),
  fc.constantFrom(validClaims({ exp: 1e308 }), validClaims({ nbf: 1e308 }), validClaims({ exp: -1 }), validClaims({ aud: ['other'] }), validClaims({ plat: 'demo' })),
  fc.jsonValue({ maxDepth: 2 }),
);

/** Characters a header value may carry, without whitespace (which makes the header itself malformed: 400). */
const tokenChar = fc.constantFrom(...'ABCxyz019-_.+/=%~!$&\'()*,;:@[]{}"<>\\^`|'.split(''));

/** Tokens the server must refuse: forged, unsigned, mutated, or not JWTs at all. */
const refusedToken = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constant(signed(validHeader, validClaims({ exp: Math.floor(Date.now() / 1000) + 3600 }))), byteEdits).map(([token, edits]) => mutate(Buffer.from(token), edits).toString('latin1')) },
  { weight: 2, arbitrary: fc.tuple(header, claims).map(([h, c]) => `${part(h)}.${part(c)}.${part('not a signature')}`) },
  { weight: 1, arbitrary: fc.tuple(header, claims).map(([h, c]) => `${part(h)}.${part(c)}.`) },
  { weight: 1, arbitrary: fc.array(fc.string({ unit: tokenChar, maxLength: 40 }), { minLength: 1, maxLength: 5 }).map((parts) => parts.join('.')) },
);

const printableNoSpace = /^[\x21-\x7e]+$/;

describe('fuzz: JWTs', function () {
  this.timeout(120_000);
  const problems = new ProcessProblems();
  let node: RunningTradehub;

  before(async () => {
    problems.start();
    node = await startTradehub({ config: withTestSecret });
  });
  after(async () => {
    await node.close();
    problems.stop();
  });
  afterEach(() => problems.assertNone());

  /** 401, the RFC 6750 challenge naming invalid_token, the JSON body, and no trace of the token. */
  function assertRefused(answer: FuzzAnswer, token: string): void {
    const what = `${answer.status} ${answer.text.slice(0, 200)} for ${token.slice(0, 200)}`;
    assert.equal(answer.status, 401, what);
    const challenge = answer.headers.get('www-authenticate') ?? '';
    assert.match(challenge, /^Bearer realm="tradehub", error="invalid_token", error_description="[^"]+"$/, what);
    const body = JSON.parse(answer.text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description']);
    assert.equal(body.error, 'invalid_token');
    assert.equal(challenge, `Bearer realm="tradehub", error="invalid_token", error_description="${String(body.error_description)}"`);
    if (token.length >= 8) assert.ok(!answer.text.includes(token) && !challenge.includes(token), `the token came back: ${what}`);
  }

  const doors = ['api', 'rpc', 'negotiate', 'negotiate-query'] as const;

  async function knock(door: typeof doors[number], token: string): Promise<FuzzAnswer> {
    const authorization = { authorization: `Bearer ${token}` };
    switch (door) {
      case 'api':
        return send(node.baseUrl, { method: 'GET', path: '/api/platforms', headers: authorization });
      case 'rpc':
        return send(node.baseUrl, { method: 'POST', path: '/rpc', headers: { ...authorization, 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","method":"ping","id":1}' });
      case 'negotiate':
        return send(node.baseUrl, { method: 'POST', path: '/hubs/trade/negotiate?negotiateVersion=1', headers: authorization });
      case 'negotiate-query':
        return send(node.baseUrl, { method: 'POST', path: `/hubs/trade/negotiate?negotiateVersion=1&access_token=${encodeURIComponent(token)}` });
    }
  }

  it('refuses forged, unsigned and mutated tokens with 401 and the RFC 6750 answer at every door', async () => {
    await fc.assert(fc.asyncProperty(refusedToken.filter((t) => printableNoSpace.test(t)), fc.constantFrom(...doors), async (token, door) => {
      assertRefused(await knock(door, token), token);
    }), fuzzRuns(0x9001, 400));
  });

  it('answers validly signed tokens with any header and claims: accepted, or 401 with the RFC 6750 answer', async () => {
    await fc.assert(fc.asyncProperty(header, claims, fc.constantFrom(...doors), async (h, c, door) => {
      const token = signed(h, c);
      const answer = await knock(door, token);
      if (answer.status === 200) return;
      assertRefused(answer, token);
    }), fuzzRuns(0x9002, 300));
  });

  it('refuses mutated tokens on the WebSocket upgrade with 401', async () => {
    await fc.assert(fc.asyncProperty(refusedToken, async (token) => {
      const refused = await refusedUpgrade(`${node.tradeHubUrl}?access_token=${encodeURIComponent(token)}`);
      assert.equal(refused.status, 401, `${refused.status} ${refused.body}`);
      if (token.length >= 8) assert.ok(!refused.body.includes(token));
    }), fuzzRuns(0x9003, 100));
  });

  it('refuses made-up and mutated terminal tokens with 401 and the RFC 6750 answer', async () => {
    const terminal = fc.oneof(
      fc.string({ unit: tokenChar, maxLength: 60 }).map((rest) => `thub_${rest}`),
      fc.tuple(fc.constant(`thub_${'A'.repeat(43)}`), byteEdits).map(([token, edits]) => mutate(Buffer.from(token), edits).toString('latin1')),
    );
    await fc.assert(fc.asyncProperty(terminal.filter((t) => printableNoSpace.test(t)), fc.constantFrom(...doors), async (token, door) => {
      assertRefused(await knock(door, token), token);
    }), fuzzRuns(0x9004, 150));
  });

  it('answers any Authorization header with 400 invalid_request or 401 invalid_token, never a 5xx', async () => {
    const scheme = fc.constantFrom('Bearer ', 'bearer ', 'BEARER  ', 'Bearer', 'Basic ', 'Token ', '', 'Bearer\t');
    const value = fc.tuple(scheme, fc.string({ unit: fc.constantFrom(...'Ab9-_.~+/= \t,"\\'.split('')), maxLength: 40 }))
      .map(([prefix, rest]) => prefix + rest)
      .filter((header) => /^[\x21-\x7e][\x20-\x7e\t]*$/.test(header) && !/[ \t]$/.test(header));
    await fc.assert(fc.asyncProperty(value, fc.constantFrom('api', 'rpc', 'negotiate'), async (header, door) => {
      const path = door === 'api' ? '/api/platforms' : door === 'rpc' ? '/rpc' : '/hubs/trade/negotiate';
      const answer = await send(node.baseUrl, { method: door === 'api' ? 'GET' : 'POST', path, headers: { authorization: header } });
      const what = `${answer.status} ${answer.text} for ${JSON.stringify(header)}`;
      assert.ok(answer.status === 400 || answer.status === 401, what);
      const body = JSON.parse(answer.text) as Record<string, unknown>;
      assert.equal(body.error, answer.status === 400 ? 'invalid_request' : 'invalid_token', what);
      assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer realm="tradehub"/, what);
    }), fuzzRuns(0x9005, 200));
  });

  describe('regressions found by these properties', () => {
    /** `typ: JWT` in the header and a payload that is not JSON: jsonwebtoken's decode threw on it. */
    const notJsonPayload = (): string => signed(validHeader, 'not json');

    it('refuses a token whose payload is not JSON with 401 "malformed" (it was a 503 "cannot be checked")', async () => {
      const token = notJsonPayload();
      const answer = await api(node.baseUrl, '/api/platforms', { token });
      assertInvalidToken({ ...answer }, 'The token is malformed.');
      const refused = await refusedUpgrade(`${node.tradeHubUrl}?access_token=${encodeURIComponent(token)}`);
      assert.equal(refused.status, 401);
    });

    it('ignores such a token at /connect/revocation as RFC 7009 asks (it was a 500)', async () => {
      const answer = await postForm(`${node.baseUrl}/connect/revocation`, { token: notJsonPayload() }, { authorization: basic(DEMO_READER.id, DEMO_READER.secret) });
      assert.equal(answer.status, 200, answer.text);
    });
  });
});
