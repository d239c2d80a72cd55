import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEMO_ADMIN, DEMO_PUBLISHER, DEMO_READER } from '../support/auth-helpers.js';
import { byteEdits, fuzzRuns, mutate, ProcessProblems } from '../support/fuzz.js';
import { events } from '../support/http-api.js';
import { assertErrorAnswer, assertWellFormedAnswer, parseJson, send, type FuzzRequest } from '../support/http-fuzz.js';
import { clientToken, startTradehub, type RunningTradehub } from '../support/tradehub-app.js';

/**
 * Fuzzed bodies, queries and forms for the REST routes, the OAuth token endpoint, the manager
 * login and JSON-RPC: every answer is a success or a well-formed 4xx error of the route's
 * shape, never a 500, a stack trace, or a secret or token repeated back.
 */

const CLIENT_SECRETS = [DEMO_READER.secret, DEMO_PUBLISHER.secret, DEMO_ADMIN.secret];

/** JSON text that is sometimes not JSON at all, sometimes cut short. */
function jsonText(value: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 5, arbitrary: value.map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 2, arbitrary: fc.tuple(value, byteEdits).map(([v, edits]) => mutate(Buffer.from(JSON.stringify(v) ?? ''), edits).toString('utf8')) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  );
}

/** Mostly JSON, so that most bodies reach the route's own checks. */
const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'application/json; charset=latin-9', 'text/plain', 'application/x-www-form-urlencoded', 'application/merge-patch+json', '') },
);

/** Replaces some fields of a valid object by arbitrary JSON values, and adds unknown ones. */
function bent(valid: Record<string, unknown>): fc.Arbitrary<Record<string, unknown>> {
  return fc.tuple(
    fc.subarray(Object.keys(valid)),
    fc.array(fc.jsonValue({ maxDepth: 2 }), { minLength: Object.keys(valid).length, maxLength: Object.keys(valid).length }),
    fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }),
    fc.subarray(Object.keys(valid)),
  ).map(([replaced, values, extra, dropped]) => {
    const out: Record<string, unknown> = { ...valid };
    replaced.forEach((key, index) => {
      out[key] = values[index];
    });
    for (const key of dropped) delete out[key];
    return { ...extra, ...out };
  });
}

describe('fuzz: HTTP API bodies and queries', function () {
  this.timeout(120_000);
  const problems = new ProcessProblems();
  let node: RunningTradehub;
  let tokens: { reader: string; publisher: string; admin: string };
  const secrets = (): string[] => [...CLIENT_SECRETS, tokens.reader, tokens.publisher, tokens.admin];

  before(async () => {
    problems.start();
    // Failure limits out of the way: the fuzzer fails logins on purpose, and must reach the code behind the limiter.
    node = await startTradehub({ config: (config) => ({ ...config, auth: {
      ...config.auth,
      login: { ...config.auth.login, maxFailuresPerAddress: 1_000_000, maxFailuresPerAccountAddress: 1_000_000, accountFreeFailures: 1_000_000, hashQueueLength: 100_000 },
    } }) });
    const [reader, publisher, admin] = await Promise.all([
      clientToken(node.baseUrl, DEMO_READER.id, DEMO_READER.secret),
      clientToken(node.baseUrl, DEMO_PUBLISHER.id, DEMO_PUBLISHER.secret),
      clientToken(node.baseUrl, DEMO_ADMIN.id, DEMO_ADMIN.secret),
    ]);
    tokens = { reader, publisher, admin };
  });
  after(async () => {
    await node.close();
    problems.stop();
  });
  afterEach(() => problems.assertNone());

  const bearer = (token: string, type: string): Record<string, string> => ({ authorization: `Bearer ${token}`, ...(type !== '' ? { 'content-type': type } : {}) });

  it('POST /api/platforms/{id}/events: published, or a well-formed error', async () => {
    const event = fc.constantFrom(
      events.account('1001', 100), events.position('1001', '7', 1), events.order('1001', '9', 'placed'), events.status('connected'),
      events.symbol('EURUSD'), events.tick('EURUSD', 1.1),
    ).chain((valid) => fc.oneof(fc.constant(valid as Record<string, unknown>), bent(valid as Record<string, unknown>),
      bent((valid as { data: Record<string, unknown> }).data).map((data) => ({ ...valid, data }))));
    const body = fc.oneof(
      { weight: 4, arbitrary: fc.array(event, { maxLength: 3 }).map((list) => ({ events: list })) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    );
    const platform = fc.oneof({ weight: 6, arbitrary: fc.constant('demo') }, { weight: 1, arbitrary: fc.constantFrom('other', '%E0%A4%A', '..', 'demo%00', 'x'.repeat(300), '%2F') });
    await fc.assert(fc.asyncProperty(platform, jsonText(body), contentType, async (platformId, text, type) => {
      const request: FuzzRequest = { method: 'POST', path: `/api/platforms/${platformId}/events`, headers: bearer(tokens.publisher, type), body: text };
      assertWellFormedAnswer(await send(node.baseUrl, request), secrets(), request);
    }), fuzzRuns(0x8001, 250));
  });

  it('GET platform and account reads with arbitrary path segments: a result or a well-formed error', async () => {
    const segment = fc.oneof(fc.string({ maxLength: 20 }).map(encodeURIComponent), fc.constantFrom('demo', '1001', '%', '%zz', '%C0%80', '..%2F..', 'constructor', '__proto__'));
    await fc.assert(fc.asyncProperty(segment, segment, fc.constantFrom('ping', 'accounts'), async (platformId, login, kind) => {
      const path = kind === 'ping' ? `/api/platforms/${platformId}/ping` : `/api/platforms/${platformId}/accounts/${login}`;
      const request: FuzzRequest = { method: 'GET', path, headers: bearer(tokens.reader, '') };
      assertWellFormedAnswer(await send(node.baseUrl, request), secrets(), request);
    }), fuzzRuns(0x8002, 200));
  });

  it('admin token routes: created or listed, or a well-formed error that does not repeat a token', async () => {
    const create = bent({ name: 'fuzz terminal', platform: 'demo', login: '1001', scopes: ['trade.read'], expiresInSeconds: 600, device: 'dev-1' });
    const withExpiry = fc.record({ name: fc.constant('fuzz'), platform: fc.constant('demo'), login: fc.constant('1001'), expiresAt: fc.oneof(fc.double(), fc.integer(), fc.maxSafeInteger(), fc.constant(8.64e15 + 1), fc.constant(1e308)) });
    const revocation = fc.oneof(
      fc.record({ token: fc.string({ minLength: 20, maxLength: 60 }) }),
      fc.tuple(fc.constantFrom('reader', 'publisher'), byteEdits).map(([which, edits]) => ({ token: mutate(Buffer.from(tokens[which as 'reader' | 'publisher']), edits).toString('latin1') })),
      fc.jsonValue({ maxDepth: 2 }),
    );
    const request = fc.oneof(
      fc.tuple(jsonText(fc.oneof(create, withExpiry, fc.jsonValue({ maxDepth: 2 }))), contentType).map(([body, type]): FuzzRequest => ({ method: 'POST', path: '/api/tokens', headers: bearer(tokens.admin, type), body })),
      fc.tuple(jsonText(revocation), contentType).map(([body, type]): FuzzRequest => ({ method: 'POST', path: '/api/revocations', headers: bearer(tokens.admin, type), body })),
      fc.tuple(fc.constantFrom('GET', 'DELETE', 'POST'), fc.string({ maxLength: 30 }).map(encodeURIComponent), fc.boolean())
        .map(([method, id, replace]): FuzzRequest => ({ method, path: `/api/tokens/${id}${replace && method === 'POST' ? '/replace' : ''}`, headers: bearer(tokens.admin, '') })),
    );
    await fc.assert(fc.asyncProperty(request, async (sent) => {
      const answer = await send(node.baseUrl, sent);
      // A revocation names the token it refused by id at most: the token itself never comes back.
      const sentToken = sent.path === '/api/revocations' && typeof sent.body === 'string' ? tokenIn(sent.body) : undefined;
      assertWellFormedAnswer(answer, [...secrets(), ...(sentToken ? [sentToken] : [])], sent);
    }), fuzzRuns(0x8003, 250));
  });

  it('POST /rpc: any body gets JSON-RPC 2.0 answers (or 204), never an HTTP error', async () => {
    const method = fc.constantFrom('get_account_info', 'get_positions', 'get_orders', 'get_symbols', 'ping', 'nope', '__proto__', 'constructor', 'rpc.discover');
    const params = fc.oneof(
      fc.record({ platform: fc.oneof(fc.constant('demo'), fc.jsonValue({ maxDepth: 1 })), login: fc.oneof(fc.constant('1001'), fc.jsonValue({ maxDepth: 1 })) }, { requiredKeys: [] }),
      fc.array(fc.oneof(fc.constant('demo'), fc.constant('1001'), fc.jsonValue({ maxDepth: 1 })), { maxLength: 4 }),
      fc.jsonValue({ maxDepth: 2 }),
    );
    const call = fc.record({
      jsonrpc: fc.oneof(fc.constant('2.0'), fc.jsonValue({ maxDepth: 0 })),
      method: fc.oneof(method, fc.jsonValue({ maxDepth: 1 })),
      params,
      id: fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.constant(null), fc.jsonValue({ maxDepth: 1 })),
    }, { requiredKeys: ['jsonrpc', 'method'] });
    const body = fc.oneof(call, fc.array(fc.oneof(call, fc.jsonValue({ maxDepth: 1 })), { maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }));
    await fc.assert(fc.asyncProperty(jsonText(body), contentType, async (text, type) => {
      const request: FuzzRequest = { method: 'POST', path: '/rpc', headers: bearer(tokens.reader, type), body: text };
      const answer = await send(node.baseUrl, request);
      assert.ok(answer.status === 200 || answer.status === 204, `${answer.status} ${answer.text.slice(0, 200)} for ${text.slice(0, 200)}`);
      if (answer.status === 204) return assert.equal(answer.text, '');
      const parsed = parseJson(answer.text, answer.text.slice(0, 200));
      for (const response of Array.isArray(parsed) ? parsed : [parsed]) assertJsonRpcResponse(response);
      assertWellFormedAnswer(answer, secrets(), request);
    }), fuzzRuns(0x8004, 250));
  });

  it('POST /connect/token with arbitrary forms and credentials: a token or an RFC 6749 error', async () => {
    const field = (valid: string[]): fc.Arbitrary<string | string[]> => fc.oneof(fc.constantFrom(...valid), fc.string({ maxLength: 20 }), fc.array(fc.constantFrom(...valid), { minLength: 2, maxLength: 2 }));
    const form = fc.record({
      grant_type: fc.oneof({ weight: 4, arbitrary: fc.constant('client_credentials') }, { weight: 1, arbitrary: field(['client_credentials', 'password', '']) }),
      scope: field(['trade.read', 'trade.read admin', 'admin', '  ', 'trade.read\u0000']),
      client_id: field([DEMO_READER.id, DEMO_ADMIN.id, 'nobody']),
      client_secret: field([DEMO_READER.secret, 'wrong-secret-value']),
    }, { requiredKeys: ['grant_type'] });
    const authorization = fc.oneof(
      fc.constant(undefined),
      fc.tuple(fc.constantFrom(DEMO_READER.id, 'nobody', '%zz', ''), fc.constantFrom(DEMO_READER.secret, 'wrong', '%', '')).map(([id, secret]) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`),
      fc.string({ maxLength: 30 }).filter((s) => /^[\x20-\x7e]*$/.test(s)).map((s) => `Basic ${s}`),
      fc.constantFrom('Bearer abc', 'Basic', 'Basic ====', `Basic ${Buffer.from('no-colon').toString('base64')}`),
    );
    const body = fc.oneof(
      { weight: 5, arbitrary: form.map((fields) => {
        const params = new URLSearchParams();
        for (const [name, value] of Object.entries(fields)) for (const item of Array.isArray(value) ? value : [value]) params.append(name, item);
        return params.toString();
      }) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
    );
    const formType = fc.oneof({ weight: 6, arbitrary: fc.constant('application/x-www-form-urlencoded') }, { weight: 1, arbitrary: fc.constantFrom('application/json', 'text/plain', '') });
    await fc.assert(fc.asyncProperty(body, authorization, formType, async (text, auth, type) => {
      const headers: Record<string, string> = { ...(auth !== undefined ? { authorization: auth } : {}), ...(type !== '' ? { 'content-type': type } : {}) };
      const request: FuzzRequest = { method: 'POST', path: '/connect/token', headers, body: text };
      const answer = await send(node.baseUrl, request);
      assertWellFormedAnswer(answer, CLIENT_SECRETS, request);
      if (answer.status === 200) assert.equal((parseJson(answer.text, answer.text) as { token_type: string }).token_type, 'Bearer');
    }), fuzzRuns(0x8005, 120));
  });

  it('POST /connect/revocation with arbitrary tokens: 200 (RFC 7009 ignores unknown tokens) or an RFC 6749 error', async () => {
    const token = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.tuple(fc.constantFrom('reader', 'publisher'), byteEdits).map(([which, edits]) => mutate(Buffer.from(tokens[which as 'reader' | 'publisher']), edits).toString('latin1')),
      fc.tuple(fc.jsonValue({ maxDepth: 1 }), fc.jsonValue({ maxDepth: 1 })).map(([h, p]) => `${Buffer.from(JSON.stringify(h) ?? '').toString('base64url')}.${Buffer.from(JSON.stringify(p) ?? '').toString('base64url')}.x`),
    );
    await fc.assert(fc.asyncProperty(fc.array(token, { maxLength: 2 }), fc.boolean(), async (sent, viaBasic) => {
      const params = new URLSearchParams();
      for (const value of sent) params.append('token', value);
      if (!viaBasic) params.append('client_id', DEMO_ADMIN.id);
      if (!viaBasic) params.append('client_secret', DEMO_ADMIN.secret);
      const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
      if (viaBasic) headers.authorization = `Basic ${Buffer.from(`${DEMO_ADMIN.id}:${DEMO_ADMIN.secret}`).toString('base64')}`;
      const request: FuzzRequest = { method: 'POST', path: '/connect/revocation', headers, body: params.toString() };
      // Revoking arbitrary tokens must not revoke the ones this file acts with: they belong to other clients.
      assertWellFormedAnswer(await send(node.baseUrl, request), [...CLIENT_SECRETS, ...sent.filter((t) => t.length >= 16)], request);
    }), fuzzRuns(0x8007, 80));
  });

  it('GET /v1/init with arbitrary queries: a token or a well-formed error', async () => {
    const value = fc.oneof(fc.constantFrom('demo', '1000', 'wrong', '60', '5000', '120001', '-1', '1e3', '%', '%zz', '%E0%A4%A'), fc.string({ maxLength: 12 }).map(encodeURIComponent));
    const mostly = (right: string): fc.Arbitrary<string> => fc.oneof({ weight: 3, arbitrary: fc.constant(right) }, { weight: 2, arbitrary: value });
    const extra = fc.array(fc.tuple(fc.constantFrom('server', 'login', 'password', 'timeout', 'x', 'server[]', 'login[a]', '__proto__'), value), { maxLength: 2 });
    const query = fc.tuple(mostly('demo'), mostly('1000'), fc.oneof(mostly('demo'), fc.constant('wrong')), fc.option(mostly('5000')), extra)
      .map(([server, login, password, timeout, more]) => [['server', server], ['login', login], ['password', password], ...(timeout !== null ? [['timeout', timeout]] : []), ...more]
        .map(([name, v]) => `${name}=${v}`).join('&'));
    await fc.assert(fc.asyncProperty(query, async (q) => {
      const request: FuzzRequest = { method: 'GET', path: `/v1/init?${q}` };
      assertWellFormedAnswer(await send(node.baseUrl, request), CLIENT_SECRETS, request);
    }), fuzzRuns(0x8006, 150));
  });

  it('still answers a well-formed request after all of it', async () => {
    const answer = await send(node.baseUrl, { method: 'GET', path: '/api/platforms', headers: bearer(tokens.reader, '') });
    assert.equal(answer.status, 200, answer.text);
  });
});

function tokenIn(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { token?: unknown };
    return typeof parsed.token === 'string' && parsed.token.length >= 16 ? parsed.token : undefined;
  } catch {
    return undefined;
  }
}

function assertJsonRpcResponse(response: unknown): void {
  assert.ok(typeof response === 'object' && response !== null && !Array.isArray(response), `not a response object: ${JSON.stringify(response)}`);
  const { jsonrpc, id, result, error } = response as Record<string, unknown>;
  assert.equal(jsonrpc, '2.0');
  assert.ok(id === null || typeof id === 'string' || typeof id === 'number', `bad id ${JSON.stringify(id)}`);
  assert.ok((result === undefined) !== (error === undefined), `result xor error: ${JSON.stringify(response)}`);
  if (error !== undefined) {
    const { code, message } = error as Record<string, unknown>;
    assert.ok(Number.isInteger(code), `error code ${JSON.stringify(code)}`);
    assert.equal(typeof message, 'string');
    assert.notEqual(code, -32603, `an internal error: ${JSON.stringify(response)}`);
  }
}
