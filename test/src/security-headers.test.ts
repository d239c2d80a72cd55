import assert from 'node:assert/strict';
import { ApiClient } from './support/http-api.js';
import { startInteropServer, type RunningInteropServer } from './support/interop-server.js';
import { startTradehub, type RunningTradehub } from './support/tradehub-app.js';

/** What every answer of the host carries, whatever produced it. */
const COMMON = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
  'strict-transport-security': 'max-age=31536000',
} as const;

/** Answers that are not pages allow nothing to load, run or frame them. */
const ALLOW_NOTHING = "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'";

function assertSecurityHeaders(headers: Headers, what: string, csp = ALLOW_NOTHING): void {
  for (const [name, value] of Object.entries(COMMON)) assert.equal(headers.get(name), value, `${what}: ${name}`);
  assert.equal(headers.get('content-security-policy'), csp, `${what}: content-security-policy`);
  assert.equal(headers.get('x-powered-by'), null, `${what}: x-powered-by`);
}

describe('HTTP security headers on every answer', () => {
  const PAGE_ORIGIN = 'https://dashboard.example';
  let hub: RunningTradehub;
  let api: ApiClient;
  let reader: string;

  before(async () => {
    hub = await startTradehub({ config: (config) => ({ ...config, cors: { origins: [PAGE_ORIGIN], maxAgeSeconds: 600 } }) });
    api = new ApiClient(hub.baseUrl);
    reader = await api.clientToken('demo-reader', 'demo-reader-secret');
  });
  after(async () => {
    await hub?.close();
  });

  it('a JSON route, with the CORS headers of an allowed origin untouched', async () => {
    const answer = await api.request('GET', '/api/platforms', { token: reader, headers: { origin: PAGE_ORIGIN } });
    assert.equal(answer.status, 200, answer.text);
    assertSecurityHeaders(answer.headers, 'GET /api/platforms');
    assert.equal(answer.headers.get('access-control-allow-origin'), PAGE_ORIGIN);
    assert.equal(answer.headers.get('access-control-allow-credentials'), 'true');
  });

  it('errors: an unknown route (404), a refused token (401) and a bad body (400)', async () => {
    const missing = await api.request('GET', '/no/such/route');
    assert.equal(missing.status, 404);
    assertSecurityHeaders(missing.headers, '404');
    const unauthorized = await api.request('GET', '/api/platforms', { token: 'not-a-token' });
    assert.equal(unauthorized.status, 401);
    assertSecurityHeaders(unauthorized.headers, '401');
    const publisher = await api.clientToken('demo-publisher', 'demo-publisher-secret');
    const badJson = await api.request('POST', '/api/platforms/demo/events', { token: publisher, body: '{"events": [', headers: { 'content-type': 'application/json' } });
    assert.equal(badJson.status, 400);
    assertSecurityHeaders(badJson.headers, '400 from the error handler');
  });

  it("the trade hub's negotiate, server-sent events and send endpoints", async () => {
    const negotiated = await api.request('POST', '/hubs/trade/negotiate?negotiateVersion=1', { token: reader });
    assert.equal(negotiated.status, 200, negotiated.text);
    assertSecurityHeaders(negotiated.headers, 'negotiate');
    const url = `${hub.tradeHubUrl}?id=${encodeURIComponent(negotiated.body.connectionToken as string)}`;
    const auth = { authorization: `Bearer ${reader}` };
    const events = await fetch(url, { headers: { ...auth, accept: 'text/event-stream' } });
    try {
      assert.equal(events.status, 200);
      assert.match(events.headers.get('content-type') ?? '', /^text\/event-stream\b/);
      assertSecurityHeaders(events.headers, 'SSE');
      const sent = await fetch(url, { method: 'POST', headers: auth, body: '{"protocol":"json","version":1}\u001e' });
      assert.equal(sent.status, 200, await sent.text());
      assertSecurityHeaders(sent.headers, 'send');
    } finally {
      await events.body?.cancel();
    }
  });

  it('the dashboard page: its own policy, which allows only its own script, style and this origin', async () => {
    const page = await fetch(`${hub.baseUrl}/dashboard/`);
    assert.equal(page.status, 200);
    const csp = page.headers.get('content-security-policy') ?? '';
    assertSecurityHeaders(page.headers, 'dashboard', csp);
    assert.match(csp, /(^|;)default-src 'self'(;|$)/);
    assert.match(csp, /(^|;)script-src 'self'(;|$)/);
    assert.match(csp, /(^|;)style-src 'self'(;|$)/);
    assert.match(csp, /(^|;)connect-src 'self'(;|$)/);
    assert.match(csp, /(^|;)frame-ancestors 'none'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    // Its script and style are served with the host's headers (nosniff matters most there).
    for (const [file, type] of [['dashboard.js', /^text\/javascript/], ['dashboard.css', /^text\/css/]] as const) {
      const answer = await fetch(`${hub.baseUrl}/dashboard/${file}`);
      assert.equal(answer.status, 200);
      assert.match(answer.headers.get('content-type') ?? '', type);
      assertSecurityHeaders(answer.headers, file);
      await answer.body?.cancel();
    }
  });
});

describe('HTTP security headers: HSTS settings, and hosts without the tradehub app', () => {
  let interop: RunningInteropServer | undefined;
  let hub: RunningTradehub | undefined;
  afterEach(async () => {
    await interop?.close();
    await hub?.close();
    interop = undefined;
    hub = undefined;
  });

  it('a plain HubHost (the interop server) sends them too', async () => {
    interop = await startInteropServer();
    const negotiated = await fetch(`${interop.hubUrl}/negotiate?negotiateVersion=1`, { method: 'POST' });
    assert.equal(negotiated.status, 200);
    assertSecurityHeaders(negotiated.headers, 'interop negotiate');
  });

  it('hsts.maxAgeSeconds 0 sends no Strict-Transport-Security; includeSubDomains adds it', async () => {
    hub = await startTradehub({ config: (config) => ({ ...config, hsts: { maxAgeSeconds: 0, includeSubDomains: false } }) });
    const off = await fetch(`${hub.baseUrl}/no/such/route`);
    assert.equal(off.headers.get('strict-transport-security'), null);
    assert.equal(off.headers.get('x-content-type-options'), 'nosniff');
    await hub.close();
    hub = await startTradehub({ config: (config) => ({ ...config, hsts: { maxAgeSeconds: 600, includeSubDomains: true } }) });
    const subdomains = await fetch(`${hub.baseUrl}/no/such/route`);
    assert.equal(subdomains.headers.get('strict-transport-security'), 'max-age=600; includeSubDomains');
  });
});
