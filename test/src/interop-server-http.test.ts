import assert from 'node:assert/strict';
import { HttpTransportType } from '@microsoft/signalr';
import { INTEROP_HUB_PATH, InteropRoute } from '@tradehub/shared';
import { within } from './support/interop-fixtures.js';
import { rawRequest } from './support/http-from.js';
import { startInteropApp, type RunningInteropApp } from './support/interop-server.js';
import { openRaw } from './support/raw-connection.js';
import { selfSignedPair, type SelfSignedPair } from './support/self-signed.js';
import { startTradehub } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';

const NEGOTIATE = '/negotiate?negotiateVersion=1';

/** `name=value` of each Set-Cookie, with its attributes as written. */
function cookiesOf(setCookies: string[]): Map<string, string[]> {
  return new Map(setCookies.map((line) => {
    const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
    return [pair, attributes];
  }));
}

describe('interop server: cookies, CORS and HTTPS', () => {
  let server: RunningInteropApp;
  let tls: SelfSignedPair;
  let httpsBase: string;
  /** Cookie headers of the requests that opened connections at `/cookie-probe`. */
  const probed: Array<string | undefined> = [];

  before(async () => {
    server = await startInteropApp();
    tls = selfSignedPair();
    const secure = await server.app.host.listenTls(0, '127.0.0.1', { cert: tls.cert, key: tls.key });
    httpsBase = `https://127.0.0.1:${secure.port}`;
    // A connection handler of the test's own, beside the interop routes: it reports what each transport request carried.
    server.app.host.mapConnectionHandler('/cookie-probe', {
      onConnected(connection) {
        probed.push(connection.request.header('cookie'));
      },
    });
  });
  after(async () => {
    await server.close();
    tls.remove();
  });

  describe('the test cookies', () => {
    for (const path of [INTEROP_HUB_PATH, InteropRoute.NoWebSocketsHub, InteropRoute.Echo, InteropRoute.AuthorizedHub]) {
      it(`are set by ${path}/negotiate, even when it is refused: two to keep, one expired`, async () => {
        const answer = await rawRequest(`${server.baseUrl}${path}${NEGOTIATE}`, { method: 'POST' });
        assert.equal(answer.status, path === InteropRoute.AuthorizedHub ? 401 : 200);
        const cookies = cookiesOf(answer.headers.getSetCookie());
        assert.deepEqual(cookies.get('testCookie=testValue'), ['Path=/']);
        assert.deepEqual(cookies.get('testCookie2=testValue2'), ['Path=/']);
        const expired = cookies.get('expiredCookie=doesntmatter') ?? [];
        const expires = expired.find((attribute) => attribute.startsWith('Expires='));
        assert.ok(expires && Date.parse(expires.slice('Expires='.length)) < Date.now(), `expiredCookie is not expired: ${expired.join('; ')}`);
        assert.equal(cookies.size, 3);
      });
    }

    it('are set nowhere but negotiate', async () => {
      const token = await rawRequest(`${server.baseUrl}${InteropRoute.GenerateJwtToken}`);
      assert.equal(token.status, 200);
      assert.deepEqual(token.headers.getSetCookie(), []);
    });

    it('over HTTPS are SameSite=None, Secure and Partitioned, as Chromium needs for another site\'s page', async () => {
      const answer = await rawRequest(`${httpsBase}${INTEROP_HUB_PATH}${NEGOTIATE}`, { method: 'POST', ca: tls.cert });
      assert.equal(answer.status, 200);
      const cookies = cookiesOf(answer.headers.getSetCookie());
      for (const kept of ['testCookie=testValue', 'testCookie2=testValue2']) {
        assert.deepEqual(new Set(cookies.get(kept)), new Set(['Path=/', 'Secure', 'Partitioned', 'SameSite=None']), kept);
      }
      assert.ok(cookies.get('expiredCookie=doesntmatter')?.includes('Secure'));
    });

    for (const transport of [HttpTransportType.WebSockets, HttpTransportType.ServerSentEvents, HttpTransportType.LongPolling]) {
      it(`come back from the official Node client on its ${HttpTransportType[transport]} request, the expired one never`, async () => {
        const before = probed.length;
        const session = await openRaw(`${server.baseUrl}/cookie-probe`, transport);
        await waitUntil(() => probed.length > before, 'the probe to see the transport request');
        await session.connection.stop();
        assert.equal(await within(session.closed, 5_000, 'onclose'), undefined);
        const cookie = probed.at(-1) ?? '';
        assert.match(cookie, /(^|; )testCookie=testValue(;|$)/);
        assert.match(cookie, /(^|; )testCookie2=testValue2(;|$)/);
        assert.doesNotMatch(cookie, /expiredCookie/);
      });
    }
  });

  describe('CORS for pages of local origins', () => {
    const preflight = (origin: string): Record<string, string> => ({
      Origin: origin,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'x-requested-with,x-signalr-user-agent,x-header',
    });

    for (const origin of ['http://localhost:9876', 'http://127.0.0.1:1', 'https://localhost:44300', 'http://[::1]:8080', 'http://localhost']) {
      it(`answers ${origin}'s preflight 204 with its origin, credentials and the headers it asked for`, async () => {
        const answer = await rawRequest(`${server.baseUrl}${InteropRoute.Echo}${NEGOTIATE}`, { method: 'OPTIONS', headers: preflight(origin) });
        assert.equal(answer.status, 204);
        assert.equal(answer.headers.get('access-control-allow-origin'), origin);
        assert.equal(answer.headers.get('access-control-allow-credentials'), 'true');
        assert.equal(answer.headers.get('access-control-allow-headers'), 'x-requested-with,x-signalr-user-agent,x-header');
        assert.match(answer.headers.get('access-control-allow-methods') ?? '', /POST/);
      });
    }

    for (const origin of ['http://example.com', 'http://localhost.example.com:80', 'null', 'http://127.0.0.1.nip.io:5']) {
      it(`refuses the preflight of ${origin} with 403 and no CORS headers`, async () => {
        const answer = await rawRequest(`${server.baseUrl}${InteropRoute.Echo}${NEGOTIATE}`, { method: 'OPTIONS', headers: preflight(origin) });
        assert.equal(answer.status, 403);
        assert.equal(answer.headers.get('access-control-allow-origin'), null);
      });
    }

    it('lets a local page read answers, a refused negotiate and the token route included', async () => {
      const origin = 'http://localhost:9876';
      for (const [path, method, status] of [[`${InteropRoute.AuthorizedHub}${NEGOTIATE}`, 'POST', 401], [InteropRoute.GenerateJwtToken, 'GET', 200]] as const) {
        const answer = await rawRequest(`${server.baseUrl}${path}`, { method, headers: { Origin: origin } });
        assert.equal(answer.status, status, path);
        assert.equal(answer.headers.get('access-control-allow-origin'), origin, path);
        assert.equal(answer.headers.get('access-control-allow-credentials'), 'true', path);
      }
    });
  });

  it('is not part of the product: npm start\'s app has none of these routes, and its interop hub sets no cookies', async () => {
    const product = await startTradehub({ interopHub: true });
    try {
      for (const path of [`${InteropRoute.Echo}${NEGOTIATE}`, `${InteropRoute.NoWebSocketsHub}${NEGOTIATE}`, `${InteropRoute.AuthorizedHub}${NEGOTIATE}`, `${InteropRoute.Redirect}/negotiate`]) {
        assert.equal((await rawRequest(`${product.baseUrl}${path}`, { method: 'POST' })).status, 404, path);
      }
      assert.equal((await rawRequest(`${product.baseUrl}${InteropRoute.GenerateJwtToken}`)).status, 404);
      assert.equal((await rawRequest(`${product.baseUrl}${InteropRoute.ClientResult}/x`)).status, 404);
      const negotiate = await rawRequest(`${product.baseUrl}${INTEROP_HUB_PATH}${NEGOTIATE}`, { method: 'POST', headers: { Origin: 'http://localhost:9876' } });
      assert.equal(negotiate.status, 200);
      assert.deepEqual(negotiate.headers.getSetCookie(), []);
      assert.equal(negotiate.headers.get('access-control-allow-origin'), null);
    } finally {
      await product.close();
    }
  });
});
