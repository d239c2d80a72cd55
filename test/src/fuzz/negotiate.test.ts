import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEMO_READER } from '../support/auth-helpers.js';
import { assertNoLeak, fuzzRuns, ProcessProblems } from '../support/fuzz.js';
import { parseJson, send, type FuzzRequest } from '../support/http-fuzz.js';
import { clientToken, startTradehub, type RunningTradehub } from '../support/tradehub-app.js';

/**
 * Negotiate requests with arbitrary methods, paths, query strings, headers and bodies, on the
 * anonymous interop hub and on the trade hub with and without a token: only well-formed
 * answers (200 with a negotiate response, or 4xx), never a 500.
 */

const queryValue = fc.oneof(
  fc.constantFrom('1', '0', '2', '-1', '999999999999999999999', 'true', 'false', '', '%', '%zz', '%E0%A4%A', '%00'),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
);
const query = fc.array(fc.tuple(fc.constantFrom('negotiateVersion', 'useStatefulReconnect', 'id', 'transport', 'access_token', 'negotiateVersion[]', '__proto__', 'x'), queryValue), { maxLength: 5 })
  .map((pairs) => pairs.map(([name, value]) => `${name}=${value}`).join('&'));
const method = fc.oneof({ weight: 4, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') });
const body = fc.option(fc.oneof(fc.string({ unit: 'binary', maxLength: 100 }), fc.json({ maxDepth: 2 })), { nil: undefined });
const header = fc.dictionary(
  fc.constantFrom('content-type', 'accept', 'x-requested-with', 'x-device-id', 'origin', 'x-signalr-user-agent', 'cookie'),
  fc.string({ maxLength: 30 }).filter((value) => /^[\x20-\x7e]*$/.test(value)),
  { maxKeys: 3 },
);

describe('fuzz: negotiate', function () {
  this.timeout(120_000);
  const problems = new ProcessProblems();
  let node: RunningTradehub;
  let token: string;

  before(async () => {
    problems.start();
    node = await startTradehub({ interopHub: true });
    token = await clientToken(node.baseUrl, DEMO_READER.id, DEMO_READER.secret);
  });
  after(async () => {
    await node.close();
    problems.stop();
  });
  afterEach(() => problems.assertNone());

  it('answers any negotiate request with a negotiate response or a 4xx, never a 5xx', async () => {
    const hub = fc.constantFrom('/testhub', '/hubs/trade', '/hubs/trade/', '/HUBS/Trade', '/hubs//trade');
    const auth = fc.constantFrom('none', 'header', 'bad', 'query');
    await fc.assert(fc.asyncProperty(hub, method, query, header, body, auth, async (path, verb, q, headers, text, how) => {
      const request: FuzzRequest = {
        method: verb,
        path: `${path}/negotiate?${q}${how === 'query' ? `&access_token=${token}` : ''}`,
        headers: { ...headers, ...(how === 'header' ? { authorization: `Bearer ${token}` } : how === 'bad' ? { authorization: 'Bearer not.a.token' } : {}) },
        ...(text !== undefined ? { body: text } : {}),
      };
      const answer = await send(node.baseUrl, request);
      const what = `${answer.status} ${answer.text.slice(0, 200)} for ${JSON.stringify(request).slice(0, 400)}`;
      assert.ok(answer.status === 200 || (answer.status >= 400 && answer.status < 500), what);
      assertNoLeak(answer.text, [token, DEMO_READER.secret]);
      if (answer.status !== 200) return;
      const negotiated = parseJson(answer.text, what) as Record<string, unknown>;
      assert.equal(typeof negotiated.connectionId, 'string', what);
      assert.ok(Array.isArray(negotiated.availableTransports), what);
      assert.ok(negotiated.negotiateVersion === 0 || negotiated.negotiateVersion === 1, what);
    }), fuzzRuns(0xa001, 300));
  });
});
