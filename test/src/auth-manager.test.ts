import assert from 'node:assert/strict';
import {
  api, assertInvalidToken, assertMissingToken, Cleanup, connectHub, decodeJwt, nowSeconds, type HttpAnswer, type MyAccess,
} from './support/auth-helpers.js';
import { HubProcess } from './support/hub-process.js';
import { waitUntil } from './support/wait.js';
import { startTradehub, type RunningTradehub } from './support/tradehub-app.js';
import type { TradehubConfig } from '@tradehub/server';
import { MANAGER_CONNECT_TIMEOUT_MS, type ManagerInitResponse as InitAnswer, type ManagerPingResponse } from '@tradehub/shared';

const WRONG_LOGIN = { error: 'invalid_grant', error_description: 'Unknown server, or wrong login or password.' };
const MISSING = { error: 'invalid_request', error_description: 'server, login and password are required, once each.' };
const BAD_TIMEOUT = {
  error: 'invalid_request',
  error_description: 'timeout must be whole milliseconds from 1000 to 120000 (the time the login may wait for the platform), once.',
};

/** Demo config plus a second demo platform (with a trade server address) and organization `acme`. */
function twoTenants(config: TradehubConfig): TradehubConfig {
  const demo = config.organizations[0];
  assert.ok(demo);
  demo.platforms.push({ id: 'demo-2', name: 'Demo 2', kind: 'mt4', server: 'mt4.demo.example:443', managers: [{ login: '1001', password: 'demo2-manager-pass' }] });
  config.organizations.push({
    id: 'acme', name: 'Acme',
    platforms: [{ id: 'acme-mt5', kind: 'mt5', managers: [{ login: '2000', password: 'acme-manager-pass' }] }],
  });
  return config;
}

function init(baseUrl: string, params: Record<string, string | string[]>): Promise<HttpAnswer> {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) for (const item of Array.isArray(value) ? value : [value]) query.append(name, item);
  return api(baseUrl, `/v1/init?${query.toString()}`);
}

describe('auth: manager login (/v1/init, /v1/ping)', () => {
  let hub: RunningTradehub;
  const cleanup = new Cleanup();
  before(async () => {
    hub = await startTradehub({ config: twoTenants });
  });
  afterEach(async () => {
    await cleanup.run();
  });
  after(async () => {
    await hub.close();
  });

  it('answers the right credentials with a bearer token for the platform', async () => {
    const answer = await init(hub.baseUrl, { server: 'demo', login: '1000', password: 'demo' });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    assert.equal(answer.headers.get('pragma'), 'no-cache');
    const body = answer.json as InitAnswer;
    assert.deepEqual(Object.keys(body).sort(), ['expires_in', 'platform', 'token', 'token_type']);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 3600);
    assert.equal(body.platform, 'demo');
    const { payload } = decodeJwt(body.token);
    assert.equal(payload.sub, 'manager:demo:1000');
    assert.equal(payload.knd, 'manager');
    assert.equal(payload.org, 'demo');
    assert.deepEqual(payload.plat, ['demo']);
    assert.equal(payload.scope, 'trade.read');
    assert.equal(payload.exp - payload.iat, 3600);
  });

  it('answers /v1/ping with the token: alive', async () => {
    const { token } = (await init(hub.baseUrl, { server: 'demo', login: '1000', password: 'demo' })).json as InitAnswer;
    const before = Date.now();
    const ping = await api(hub.baseUrl, '/v1/ping', { token });
    assert.equal(ping.status, 200, ping.text);
    assert.equal(ping.headers.get('cache-control'), 'no-store');
    const pong = ping.json as ManagerPingResponse;
    assert.deepEqual(pong, {
      message: 'pong: the session to the platform is alive',
      status: 'alive', subject: 'manager:demo:1000', platforms: ['demo'], expiresAt: decodeJwt(token).payload.exp * 1000, serverTime: pong.serverTime,
    });
    assert.ok(pong.serverTime >= before && pong.serverTime <= Date.now());
    assertMissingToken(await api(hub.baseUrl, '/v1/ping'));
    assertInvalidToken(await api(hub.baseUrl, '/v1/ping', { token: 'abc' }), 'The token is malformed.');
  });

  it('refuses a wrong password, an unknown login and an unknown server with the same 401 (no hint which)', async () => {
    const answers = await Promise.all([
      init(hub.baseUrl, { server: 'demo', login: '1000', password: 'wrong-password-1' }),
      init(hub.baseUrl, { server: 'demo', login: '9999', password: 'demo' }),
      init(hub.baseUrl, { server: 'no-such-server', login: '1000', password: 'demo' }),
      // A manager of another platform, with its right password, is no manager of this one.
      init(hub.baseUrl, { server: 'demo', login: '2000', password: 'acme-manager-pass' }),
    ]);
    for (const answer of answers) {
      assert.equal(answer.status, 401, answer.text);
      assert.deepEqual(answer.json, WRONG_LOGIN);
      assert.equal(answer.headers.get('cache-control'), 'no-store');
      assert.equal(answer.text, answers[0]?.text);
    }
  });

  it('refuses missing or repeated parameters with 400', async () => {
    const cases: Array<Record<string, string | string[]>> = [
      {},
      { login: '1000', password: 'demo' },
      { server: 'demo', password: 'demo' },
      { server: 'demo', login: '1000' },
      { server: 'demo', login: '1000', password: '' },
      { server: 'demo', login: ['1000', '1000'], password: 'demo' },
    ];
    for (const params of cases) {
      const answer = await init(hub.baseUrl, params);
      assert.equal(answer.status, 400, JSON.stringify(params));
      assert.deepEqual(answer.json, MISSING);
    }
  });

  it('takes the MT5 manager SDK sequence: /v1/init with timeout=5000, then /v1/ping with the Bearer token, reading message', async () => {
    const answer = await api(hub.baseUrl, '/v1/init?server=demo&login=1000&password=demo&timeout=5000');
    assert.equal(answer.status, 200, answer.text);
    const body = answer.json as InitAnswer;
    assert.equal(body.token_type, 'Bearer');
    const ping = await api(hub.baseUrl, '/v1/ping', { token: body.token });
    assert.equal(ping.status, 200, ping.text);
    const pong = ping.json as ManagerPingResponse;
    assert.equal(typeof pong.message, 'string');
    assert.match(pong.message, /alive/);
    assert.equal(pong.status, 'alive');
  });

  it('reads timeout as milliseconds to wait for the platform: the token lifetime stays the configured one, timeout or not', async () => {
    for (const timeout of [undefined, '1000', '5000', '120000']) {
      const answer = await init(hub.baseUrl, { server: 'demo', login: '1000', password: 'demo', ...(timeout !== undefined ? { timeout } : {}) });
      assert.equal(answer.status, 200, `timeout=${timeout}: ${answer.text}`);
      const body = answer.json as InitAnswer;
      assert.equal(body.expires_in, 3600, `timeout=${timeout}`);
      const { payload } = decodeJwt(body.token);
      assert.equal(payload.exp - payload.iat, 3600, `timeout=${timeout}`);
      assert.ok(Math.abs(payload.exp - (nowSeconds() + 3600)) <= 2);
    }
    assert.deepEqual(MANAGER_CONNECT_TIMEOUT_MS, { min: 1000, max: 120_000, default: 5000 });
  });

  it('refuses a timeout out of range, not a whole number or repeated with a clear 400 that never echoes the password', async () => {
    const cases: Array<string | string[]> = ['999', '120001', '0', '60', '-5000', '5000.5', '5e3', 'abc', '', ' 5000', '0x1388', '99999999999999999999', ['5000', '5000']];
    for (const timeout of cases) {
      const refused = await init(hub.baseUrl, { server: 'demo', login: '1000', password: 'demo', timeout });
      assert.equal(refused.status, 400, `timeout=${String(timeout)}`);
      assert.deepEqual(refused.json, BAD_TIMEOUT);
    }
    // With a wrong password the answer is the same 400: the timeout is checked before the password, which is never echoed.
    const secret = 'a-password-that-must-not-echo';
    const wrong = await init(hub.baseUrl, { server: 'demo', login: '1000', password: secret, timeout: 'garbage' });
    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.json, BAD_TIMEOUT);
    assert.ok(!wrong.text.includes(secret));
  });

  it('gives the manager token its platform only, on the API and the hub', async () => {
    const { token } = (await init(hub.baseUrl, { server: 'demo', login: '1000', password: 'demo' })).json as InitAnswer;
    const platforms = await api(hub.baseUrl, '/api/platforms', { token });
    assert.deepEqual(platforms.json, [{ id: 'demo', name: 'Demo MT5 (simulated)', kind: 'mt5', organization: 'demo' }]);
    const connection = await connectHub(cleanup, hub.tradeHubUrl, token);
    assert.deepEqual(await connection.invoke('GetPlatforms'), [{ id: 'demo', name: 'Demo MT5 (simulated)', kind: 'mt5' }]);
    const access = await connection.invoke<MyAccess>('GetMyAccess');
    assert.equal(access.kind, 'manager');
    assert.equal(access.subject, 'manager:demo:1000');
    assert.deepEqual(access.platforms, ['demo']);
  });

  it('finds a platform by its trade server address, and managers of another organization see theirs only', async () => {
    const byAddress = await init(hub.baseUrl, { server: 'mt4.demo.example:443', login: '1001', password: 'demo2-manager-pass' });
    assert.equal(byAddress.status, 200, byAddress.text);
    assert.equal((byAddress.json as InitAnswer).platform, 'demo-2');
    // Its id is not its address.
    assert.equal((await init(hub.baseUrl, { server: 'demo-2', login: '1001', password: 'demo2-manager-pass' })).status, 401);

    const acme = await init(hub.baseUrl, { server: 'acme-mt5', login: '2000', password: 'acme-manager-pass' });
    assert.equal(acme.status, 200, acme.text);
    const { token } = acme.json as InitAnswer;
    assert.equal(decodeJwt(token).payload.org, 'acme');
    const platforms = await api(hub.baseUrl, '/api/platforms', { token });
    assert.deepEqual(platforms.json, [{ id: 'acme-mt5', name: 'acme-mt5', kind: 'mt5', organization: 'acme' }]);
  });
});

describe('auth: the MT5 manager SDK against a tradehub process', () => {
  let node: HubProcess;
  before(async () => {
    node = await HubProcess.start({});
  });
  after(async () => {
    await node.dispose();
  });

  it('logs in with /v1/init?...&timeout=5000 and reads message from /v1/ping with the Bearer token, as the SDK does', async () => {
    const answer = await api(node.baseUrl, '/v1/init?server=demo&login=1000&password=demo&timeout=5000');
    assert.equal(answer.status, 200, answer.text);
    const { token, token_type: type, expires_in: expiresIn } = answer.json as InitAnswer;
    assert.equal(type, 'Bearer');
    assert.equal(expiresIn, 3600);
    const ping = await fetch(`${node.baseUrl}/v1/ping`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(ping.status, 200);
    const pong = await ping.json() as ManagerPingResponse;
    assert.equal(pong.message, 'pong: the session to the platform is alive');
    assert.equal(pong.subject, 'manager:demo:1000');
  });
});

describe('auth: /v1/init timeout bounds the wait', () => {
  let hub: RunningTradehub;
  before(async () => {
    hub = await startTradehub({
      config: (config) => {
        // One hash at a time, and room for the whole flood below: the login waits behind it.
        config.auth.login = { ...config.auth.login, hashConcurrency: 1, hashQueueLength: 1000, maxFailuresPerAddress: 10_000 };
        return config;
      },
    });
  });
  after(async () => {
    await hub.close();
  });

  it('answers 503 with Retry-After when the login cannot complete within timeout ms', async () => {
    // Logins of accounts never seen, each hashed in turn; they give up after 2,000 ms themselves.
    let answered = 0;
    const flood = Array.from({ length: 100 }, (_, n) => init(hub.baseUrl, { server: 'demo', login: `flood-${n}`, password: 'wrong-password', timeout: '2000' })
      .finally(() => answered++));
    // Some were hashed: the rest wait on the server, ahead of the login below.
    await waitUntil(() => answered >= 3, 'the first answers of the flood');
    const started = Date.now();
    const answer = await init(hub.baseUrl, { server: 'demo', login: '1000', password: 'demo', timeout: '1000' });
    const waited = Date.now() - started;
    await Promise.allSettled(flood);
    assert.equal(answer.status, 503, answer.text);
    assert.deepEqual(answer.json, { error: 'temporarily_unavailable', error_description: 'The login did not complete within 1000 ms; retry shortly.' });
    assert.equal(answer.headers.get('retry-after'), '1');
    assert.ok(waited >= 1_000 && waited < 3_000, `answered after ${waited} ms`);
  });
});

describe('auth: /v1/init rate limiting', () => {
  let hub: RunningTradehub;
  before(async () => {
    hub = await startTradehub({
      config: (config) => {
        config.auth.login.maxFailuresPerAccountAddress = 3;
        return config;
      },
    });
  });
  after(async () => {
    await hub.close();
  });

  it('answers 429 with Retry-After after too many wrong passwords for one account from one address, even for the right one', async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      assert.equal((await init(hub.baseUrl, { server: 'demo', login: '1000', password: `wrong-${attempt}` })).status, 401);
    }
    const limited = await init(hub.baseUrl, { server: 'demo', login: '1000', password: 'demo' });
    assert.equal(limited.status, 429, limited.text);
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.deepEqual(limited.json, { error: 'too_many_attempts', error_description: `Too many failed logins; retry in ${retryAfter} s.` });
  });
});
