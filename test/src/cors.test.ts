import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startTradehub, type RunningTradehub } from './support/tradehub-app.js';

const PAGE = 'http://127.0.0.1:8123';
const ELSEWHERE = 'http://127.0.0.1:9999';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
}

/** A raw HTTP request, so that the Origin header is sent as a browser would (fetch may not set it). */
function send(baseUrl: string, method: string, path: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}${path}`, { method, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The CORS headers of an answer, by name. */
function corsHeaders(answer: Answer): Record<string, unknown> {
  return Object.fromEntries(Object.entries(answer.headers).filter(([name]) => name.startsWith('access-control-')));
}

const preflight = (origin: string, method = 'POST'): Record<string, string> => ({
  Origin: origin,
  'Access-Control-Request-Method': method,
  'Access-Control-Request-Headers': 'authorization,x-requested-with,x-signalr-user-agent',
});

describe('CORS for configured browser origins', () => {
  let hub: RunningTradehub;
  let plain: RunningTradehub;
  before(async () => {
    hub = await startTradehub({ config: (config) => ({ ...config, cors: { origins: [PAGE], maxAgeSeconds: 600 } }) });
    plain = await startTradehub();
  });
  after(async () => {
    await hub.close();
    await plain.close();
  });

  for (const path of ['/hubs/trade/negotiate?negotiateVersion=1', '/connect/token', '/api/platforms/demo/ping', '/rpc']) {
    it(`answers the preflight of ${path.split('?')[0]} for an allowed origin`, async () => {
      const answer = await send(hub.baseUrl, 'OPTIONS', path, preflight(PAGE));
      assert.equal(answer.status, 204);
      assert.equal(answer.headers['access-control-allow-origin'], PAGE);
      assert.equal(answer.headers['access-control-allow-credentials'], 'true');
      assert.match(String(answer.headers['access-control-allow-methods']), /POST/);
      const allowed = String(answer.headers['access-control-allow-headers']).toLowerCase();
      for (const header of ['authorization', 'x-requested-with', 'x-signalr-user-agent', 'content-type']) assert.ok(allowed.includes(header), header);
      assert.equal(answer.headers['access-control-max-age'], '600');
      assert.match(String(answer.headers.vary), /Origin/);
    });
  }

  it('adds the CORS headers to answers for an allowed origin, errors included', async () => {
    const refused = await send(hub.baseUrl, 'POST', '/hubs/trade/negotiate?negotiateVersion=1', { Origin: PAGE });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers['access-control-allow-origin'], PAGE);
    assert.match(String(refused.headers['access-control-expose-headers']), /WWW-Authenticate/);
  });

  it('refuses the preflight of any other origin, without CORS headers', async () => {
    const answer = await send(hub.baseUrl, 'OPTIONS', '/connect/token', preflight(ELSEWHERE));
    assert.equal(answer.status, 403);
    assert.equal(answer.headers['access-control-allow-origin'], undefined);
    const simple = await send(hub.baseUrl, 'GET', '/api/platforms', { Origin: ELSEWHERE });
    assert.equal(simple.status, 401);
    assert.equal(simple.headers['access-control-allow-origin'], undefined);
  });

  it('sends no CORS headers when none are configured', async () => {
    const answer = await send(plain.baseUrl, 'OPTIONS', '/connect/token', preflight(PAGE));
    assert.deepEqual(corsHeaders(answer), {}, `status ${answer.status}`);
    // A browser takes any answer but 2xx as a refused preflight.
    assert.ok(answer.status >= 400, `the preflight was answered ${answer.status}`);
    // A simple request from a page is served as any other, and its answer is not shared with the page.
    const simple = await send(plain.baseUrl, 'GET', '/api/platforms', { Origin: PAGE });
    assert.equal(simple.status, 401);
    assert.deepEqual(corsHeaders(simple), {});
  });

  it('refuses a configuration whose origin is not an origin', async () => {
    await assert.rejects(startTradehub({ config: (config) => ({ ...config, cors: { origins: [`${PAGE}/path`], maxAgeSeconds: 600 } }) }), /must be an origin/);
  });
});
