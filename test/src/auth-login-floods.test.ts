import assert from 'node:assert/strict';
import type { LimitName } from '@tradehub/server';
import { basic, DEMO_READER, type HttpAnswer } from './support/auth-helpers.js';
import { loopback, requestFrom } from './support/http-from.js';
import { startTradehub, type RunningTradehub } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';

/** The address honest callers use in these tests; guesses come from `loopback(n)`. */
const HONEST_ADDRESS = '127.0.0.1';
const MANAGER = { server: 'demo', login: '1000', password: 'demo' } as const;

function tokenRequest(hub: RunningTradehub, from: string, clientId: string, secret: string): Promise<HttpAnswer> {
  return requestFrom(`${hub.baseUrl}/connect/token`, {
    localAddress: from,
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic(clientId, secret) },
    body: 'grant_type=client_credentials',
  });
}

function initRequest(hub: RunningTradehub, from: string, login: string, password: string): Promise<HttpAnswer> {
  const query = new URLSearchParams({ server: MANAGER.server, login, password });
  return requestFrom(`${hub.baseUrl}/v1/init?${query}`, { localAddress: from });
}

interface LoginEndpoint {
  name: string;
  /** A login with the account's right secret. */
  honest(hub: RunningTradehub, from: string): Promise<HttpAnswer>;
  /** A wrong secret for the same account. */
  guess(hub: RunningTradehub, from: string, attempt: number): Promise<HttpAnswer>;
  /** The body of a 429 with this Retry-After. */
  limitedBody(retryAfter: number): unknown;
}

const ENDPOINTS: LoginEndpoint[] = [
  {
    name: 'POST /connect/token',
    honest: (hub, from) => tokenRequest(hub, from, DEMO_READER.id, DEMO_READER.secret),
    guess: (hub, from, attempt) => tokenRequest(hub, from, DEMO_READER.id, `guess-${attempt}`),
    limitedBody: (retryAfter) => ({ error: 'invalid_client', error_description: `Too many failed attempts; retry in ${retryAfter} s.` }),
  },
  {
    name: 'GET /v1/init',
    honest: (hub, from) => initRequest(hub, from, MANAGER.login, MANAGER.password),
    guess: (hub, from, attempt) => initRequest(hub, from, MANAGER.login, `guess-${attempt}`),
    limitedBody: (retryAfter) => ({ error: 'too_many_attempts', error_description: `Too many failed logins; retry in ${retryAfter} s.` }),
  },
];

async function rejections(hub: RunningTradehub, limit: LimitName): Promise<number> {
  const { values } = await hub.app.metrics.limitRejections.get();
  return values.find((value) => value.labels.limit === limit)?.value ?? 0;
}

function countStatus(answers: readonly HttpAnswer[], status: number): number {
  return answers.filter((answer) => answer.status === status).length;
}

/** A 429 of a login limit: the endpoint's error shape, Retry-After in whole seconds, no caching, no secret. */
function assertLoginLimited(endpoint: LoginEndpoint, answer: HttpAnswer, maxRetryAfter: number): void {
  assert.equal(answer.status, 429, answer.text);
  const retryAfter = Number(answer.headers.get('retry-after'));
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= maxRetryAfter, `Retry-After ${answer.headers.get('retry-after')}`);
  assert.deepEqual(answer.json, endpoint.limitedBody(retryAfter));
  assert.equal(answer.headers.get('cache-control'), 'no-store');
  assert.doesNotMatch(answer.text, /guess-/);
}

describe('auth: login limits under parallel floods (real node, several source addresses)', () => {
  let hub: RunningTradehub;
  afterEach(async () => {
    await hub?.close();
  });

  for (const [index, endpoint] of ENDPOINTS.entries()) {
    it(`${endpoint.name}: of 300 parallel wrong guesses from one address, no more than the limit are checked; the rest get 429 at once`, async () => {
      hub = await startTradehub();
      const attacker = loopback(index);
      const answers = await Promise.all(Array.from({ length: 300 }, (_, i) => endpoint.guess(hub, attacker, i)));
      const checked = countStatus(answers, 401);
      // The account's 3 free failures, and one more per progressive delay (1 s, 2 s, …) while the burst
      // arrives; never more than the strict limit per account and address (10).
      assert.ok(checked >= 1 && checked <= 10, `${checked} of 300 guesses were checked`);
      assert.equal(countStatus(answers, 429), 300 - checked);
      for (const answer of answers.filter((a) => a.status === 429)) assertLoginLimited(endpoint, answer, 60);
      assert.equal(await rejections(hub, 'login_rate'), 300 - checked);
    });
  }

  it('POST /connect/token: of 300 parallel guesses at different client ids from one address, no more than the address limit are checked', async () => {
    hub = await startTradehub();
    const attacker = loopback(5);
    const answers = await Promise.all(Array.from({ length: 300 }, (_, i) => tokenRequest(hub, attacker, `guessed-client-${i}`, 'x')));
    const checked = countStatus(answers, 401);
    assert.ok(checked >= 1 && checked <= 50, `${checked} of 300 guesses were checked`);
    assert.equal(countStatus(answers, 429), 300 - checked);
    for (const answer of answers.filter((a) => a.status === 429)) assertLoginLimited(ENDPOINTS[0]!, answer, 60);
  });

  for (const endpoint of ENDPOINTS) {
    it(`${endpoint.name}: a flood of wrong guesses for a known account from 20 other addresses does not lock out its owner`, async () => {
      hub = await startTradehub();
      assert.equal((await endpoint.honest(hub, HONEST_ADDRESS)).status, 200);

      const flood = Promise.all(Array.from({ length: 300 }, (_, i) => endpoint.guess(hub, loopback(10 + (i % 20)), i)));
      const [during, answers] = await Promise.all([endpoint.honest(hub, HONEST_ADDRESS), flood]);
      assert.equal(during.status, 200, during.text);
      const checked = countStatus(answers, 401);
      // The account delays guesses from addresses it does not know: a handful are checked, not 300.
      assert.ok(checked <= 10, `${checked} of 300 guesses were checked`);
      assert.equal(countStatus(answers, 429), 300 - checked);

      const after = await endpoint.honest(hub, HONEST_ADDRESS);
      assert.equal(after.status, 200, after.text);
    });
  }

  it('POST /connect/token: an honest login is answered while a flood of guesses still waits for hashing; the overflow gets 503 at once', async () => {
    hub = await startTradehub({
      config: (config) => {
        config.auth.login.hashConcurrency = 1;
        config.auth.login.hashQueueLength = 40;
        return config;
      },
    });
    assert.equal((await ENDPOINTS[0]!.honest(hub, HONEST_ADDRESS)).status, 200);

    // Each guess names another client, so that only hashing (not the login limits) holds them back.
    const events: string[] = [];
    const busy: HttpAnswer[] = [];
    const flood = Promise.all(Array.from({ length: 300 }, async (_, i) => {
      const answer = await tokenRequest(hub, loopback(40 + (i % 10)), `guessed-client-${i}`, 'x');
      events.push(`guess ${answer.status}`);
      if (answer.status === 503) busy.push(answer);
    }));
    const honestLogin = async (): Promise<HttpAnswer> => {
      await waitUntil(() => events.filter((event) => event === 'guess 401').length >= 5, 'the first guesses to be checked', 15_000);
      const answer = await ENDPOINTS[0]!.honest(hub, HONEST_ADDRESS);
      events.push('honest');
      return answer;
    };
    const [honest] = await Promise.all([honestLogin(), flood]);
    assert.equal(honest.status, 200, honest.text);

    const checkedAfterHonest = events.slice(events.indexOf('honest')).filter((event) => event === 'guess 401').length;
    assert.ok(checkedAfterHonest >= 10, `only ${checkedAfterHonest} guesses were still waiting when the honest login was answered`);
    assert.ok(busy.length > 0, 'no guess was turned away by the full hashing queue');
    for (const answer of busy) {
      assert.equal(answer.headers.get('retry-after'), '1');
      assert.equal(answer.headers.get('cache-control'), 'no-store');
      assert.deepEqual(answer.json, { error: 'temporarily_unavailable', error_description: 'The server is busy checking credentials; retry in 1 s.' });
    }
    assert.equal(await rejections(hub, 'hash_queue'), busy.length);
    assert.equal(events.length, 301);
  });
});
