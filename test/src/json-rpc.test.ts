import assert from 'node:assert/strict';
import { BrokerUnavailableError, JsonRpcErrorCode } from '@tradehub/server';
import { ApiClient, events, withSecondTenant, type ApiResponse } from './support/http-api.js';
import { startTradehub, type RunningTradehub } from './support/tradehub-app.js';

describe('JSON-RPC 2.0 at POST /rpc', () => {
  let hub: RunningTradehub;
  let api: ApiClient;
  let reader: string;
  let publisher: string;
  let otherPublisher: string;
  /** Terminal token for demo / 1001 with the default scopes (trade.read, trade.publish). */
  let terminal: string;
  let terminalPublishOnly: string;
  const logLines: string[] = [];

  before(async () => {
    hub = await startTradehub({ config: withSecondTenant, logLines });
    api = new ApiClient(hub.baseUrl);
    ({ reader, publisher, otherPublisher, terminal, terminalPublishOnly } = await api.standardTokens());
    // The terminal publishes its own account through REST; JSON-RPC reads it back.
    const published = await api.request('POST', '/api/platforms/demo/events', {
      token: terminal,
      json: { events: [events.account('1001', 5_000), events.position('1001', '801', 10_000), events.order('1001', '901', 'placed')] },
    });
    assert.equal(published.status, 200, published.text);
    const platformEvents = await api.request('POST', '/api/platforms/demo/events', {
      token: publisher, json: { events: [events.symbol('EURUSD'), events.symbol('GBPUSD'), events.status('connected')] },
    });
    assert.equal(platformEvents.status, 200, platformEvents.text);
  });
  after(async () => {
    await hub.close();
    // Requests carried the tokens in every way tried here; the log holds none of them.
    for (const token of [reader, publisher, otherPublisher, terminal, terminalPublishOnly]) {
      assert.ok(!logLines.some((line) => line.includes(token)), 'a log line contains a token');
    }
  });

  const rpc = (token: string | undefined, json: unknown): Promise<ApiResponse> =>
    api.request('POST', '/rpc', { ...(token !== undefined ? { token } : {}), json });
  const call = async (token: string, method: string, params?: unknown, id: string | number = 1): Promise<any> => {
    const response = await rpc(token, { jsonrpc: '2.0', method, ...(params !== undefined ? { params } : {}), id });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.jsonrpc, '2.0');
    assert.equal(response.body.id, id);
    return response.body;
  };
  const errorOf = async (token: string, method: string, params?: unknown): Promise<{ code: number; message: string; data?: any }> => {
    const body = await call(token, method, params);
    assert.ok(body.error, `expected an error, got ${JSON.stringify(body)}`);
    assert.equal(body.result, undefined);
    return body.error;
  };

  describe('methods', () => {
    it('get_account_info, get_positions and get_orders answer the account published through REST', async () => {
      const info = await call(terminal, 'get_account_info', { platform: 'demo', login: '1001' }, 'a');
      assert.equal(info.result.login, '1001');
      assert.equal(info.result.balance, 5_000);
      const positions = await call(terminal, 'get_positions', { platform: 'demo', login: '1001' }, 2);
      assert.deepEqual(positions.result.map((p: { position: string }) => p.position), ['801']);
      const orders = await call(reader, 'get_orders', { platform: 'demo', login: '1001' });
      assert.deepEqual(orders.result.map((o: { order: string; state: string }) => [o.order, o.state]), [['901', 'placed']]);
    });

    it('accepts positional params as [platform, login]', async () => {
      const info = await call(terminal, 'get_account_info', ['demo', '1001']);
      assert.equal(info.result.balance, 5_000);
      const symbols = await call(reader, 'get_symbols', ['demo']);
      assert.equal(symbols.result.length, 2);
    });

    it('answers null and empty lists for an account without events', async () => {
      assert.equal((await call(reader, 'get_account_info', { platform: 'demo', login: '4242' })).result, null);
      assert.deepEqual((await call(reader, 'get_positions', { platform: 'demo', login: '4242' })).result, []);
      assert.deepEqual((await call(reader, 'get_orders', { platform: 'demo', login: '4242' })).result, []);
    });

    it('get_symbols answers the platform symbols', async () => {
      const symbols = await call(reader, 'get_symbols', { platform: 'demo' });
      assert.deepEqual(symbols.result.map((s: { symbol: string }) => s.symbol).sort(), ['EURUSD', 'GBPUSD']);
      assert.equal(symbols.result[0].digits, 5);
    });

    it('ping answers pong, and the platform status when a platform is given', async () => {
      const bare = await call(terminalPublishOnly, 'ping', {});
      assert.equal(bare.result.pong, true);
      assert.ok(Math.abs(bare.result.serverTime - Date.now()) < 5_000);
      assert.deepEqual(Object.keys(bare.result).sort(), ['pong', 'serverTime']);
      const withoutParams = await call(reader, 'ping');
      assert.equal(withoutParams.result.pong, true);
      const status = await call(terminalPublishOnly, 'ping', { platform: 'demo' });
      assert.equal(status.result.platform, 'demo');
      assert.equal(status.result.status.state, 'connected');
      const empty = await call(reader, 'ping', ['demo-b']);
      assert.equal(empty.result.status, null);
    });
  });

  describe('errors', () => {
    it('-32700 for a body that is not JSON', async () => {
      const response = await api.request('POST', '/rpc', { token: reader, body: '{"jsonrpc": "2.0", "method": "ping", "id": 1', headers: { 'content-type': 'application/json' } });
      assert.equal(response.status, 200);
      assert.deepEqual(response.body, {
        jsonrpc: '2.0', error: { code: -32700, message: 'Parse error', data: 'The request body is not valid JSON.' }, id: null,
      });
      const empty = await api.request('POST', '/rpc', { token: reader });
      assert.equal(empty.body.error.code, JsonRpcErrorCode.ParseError);
    });

    it('reads the body whatever its content type', async () => {
      const response = await api.request('POST', '/rpc', { token: reader, body: '{"jsonrpc":"2.0","method":"ping","id":7}', headers: { 'content-type': 'text/plain' } });
      assert.equal(response.body.result.pong, true);
      assert.equal(response.body.id, 7);
    });

    it('-32600 for requests that are not valid request objects', async () => {
      const cases: Array<[unknown, string, string | number | null]> = [
        [42, 'A request must be a JSON object.', null],
        ['ping', 'A request must be a JSON object.', null],
        [{ method: 'ping', id: 1 }, 'jsonrpc must be "2.0".', 1],
        [{ jsonrpc: '1.0', method: 'ping', id: 'x' }, 'jsonrpc must be "2.0".', 'x'],
        [{ jsonrpc: '2.0', method: 5, id: 2 }, 'method must be a string.', 2],
        [{ jsonrpc: '2.0', id: 3 }, 'method must be a string.', 3],
        [{ jsonrpc: '2.0', method: 'ping', id: { a: 1 } }, 'id must be a string, a number or null.', null],
        [{ jsonrpc: '2.0', method: 'ping', id: true }, 'id must be a string, a number or null.', null],
        [{ jsonrpc: '2.0', method: 'ping', params: 'demo', id: 4 }, 'params must be an object or an array.', 4],
        [{ jsonrpc: '2.0', method: 'ping', params: null, id: 5 }, 'params must be an object or an array.', 5],
      ];
      for (const [json, data, id] of cases) {
        const response = await rpc(reader, json);
        assert.equal(response.status, 200);
        assert.deepEqual(response.body, { jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request', data }, id }, JSON.stringify(json));
      }
      // An invalid request is answered even without an id: it is not a notification.
      const noId = await rpc(reader, { jsonrpc: '2.0', method: 1 });
      assert.deepEqual(noId.body, { jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request', data: 'method must be a string.' }, id: null });
    });

    it('-32601 for an unknown method, listing the methods', async () => {
      for (const method of ['get_everything', 'constructor', '__proto__', 'rpc.discover']) {
        const error = await errorOf(reader, method, {});
        assert.deepEqual(error, {
          code: -32601, message: 'Method not found',
          data: { methods: ['get_account_info', 'get_positions', 'get_orders', 'get_symbols', 'ping', 'order_send', 'order_modify', 'order_close', 'get_history', 'get_terminal_status'] },
        });
      }
    });

    it('-32602 naming each param that is missing, malformed or unknown', async () => {
      assert.deepEqual(await errorOf(reader, 'get_positions', { platform: 'demo' }), {
        code: -32602, message: 'Invalid params', data: [{ param: 'login', message: 'Invalid input: expected string, received undefined' }],
      });
      assert.deepEqual((await errorOf(reader, 'get_account_info', { platform: 'demo', login: '10-01' })).data, [
        { param: 'login', message: 'must be a decimal id of at most 20 digits' },
      ]);
      assert.deepEqual((await errorOf(reader, 'get_orders', { platform: 7, login: '1001', since: 0 })).data, [
        { param: 'platform', message: 'Invalid input: expected string, received number' },
        { param: 'since', message: 'is not a parameter of this method' },
      ]);
      assert.deepEqual((await errorOf(reader, 'get_symbols', ['demo', 'extra'])).data, [
        { param: null, message: 'This method takes at most 1 positional params (platform).' },
      ]);
      assert.deepEqual((await errorOf(reader, 'get_account_info', ['demo'])).data, [
        { param: 'login', message: 'Invalid input: expected string, received undefined' },
      ]);
      assert.equal((await errorOf(reader, 'ping', { platform: 'demo', verbose: true })).code, JsonRpcErrorCode.InvalidParams);
    });

    it('-32603 for an unexpected failure, without its details', async () => {
      const broker = hub.app.trade.broker;
      const original = broker.snapshot;
      broker.snapshot = async () => {
        throw new Error('secret internals: connection string redis://user:pw@host');
      };
      try {
        const response = await rpc(reader, { jsonrpc: '2.0', method: 'get_symbols', params: { platform: 'demo' }, id: 9 });
        assert.equal(response.status, 200);
        assert.deepEqual(response.body, { jsonrpc: '2.0', error: { code: -32603, message: 'Internal error' }, id: 9 });
      } finally {
        broker.snapshot = original;
      }
      const logged = logLines.map((line) => JSON.parse(line) as { msg?: string; method?: string; err?: { message?: string } })
        .find((line) => line.msg === 'JSON-RPC method failed');
      assert.equal(logged?.method, 'get_symbols');
      assert.match(logged?.err?.message ?? '', /secret internals/);
    });

    it('-32001 for a missing scope, a platform or a login the token does not reach', async () => {
      assert.deepEqual(await errorOf(terminalPublishOnly, 'get_positions', { platform: 'demo', login: '1001' }), {
        code: -32001, message: "This method needs the 'trade.read' scope.",
      });
      // The scope is checked before the params.
      assert.equal((await errorOf(terminalPublishOnly, 'get_symbols', { wrong: 1 })).code, JsonRpcErrorCode.Forbidden);
      assert.deepEqual(await errorOf(terminal, 'get_account_info', { platform: 'demo', login: '1002' }), {
        code: -32001, message: "Access to topic 'platforms/demo/accounts/1002' is not allowed.",
      });
      assert.deepEqual(await errorOf(terminal, 'get_symbols', { platform: 'demo-b' }), {
        code: -32001, message: "This token does not reach platform 'demo-b'.",
      });
      assert.equal((await errorOf(terminal, 'ping', { platform: 'demo-b' })).code, JsonRpcErrorCode.Forbidden);
    });

    it("-32004 for an unknown platform and for another organization's, alike", async () => {
      const foreign = await errorOf(reader, 'get_account_info', { platform: 'other-mt5', login: '1001' });
      const unknown = await errorOf(reader, 'get_account_info', { platform: 'nowhere', login: '1001' });
      assert.deepEqual(foreign, { code: -32004, message: "Unknown platform 'other-mt5'." });
      assert.deepEqual(unknown, { code: -32004, message: "Unknown platform 'nowhere'." });
      assert.deepEqual(await errorOf(otherPublisher, 'ping', { platform: 'demo' }), { code: -32004, message: "Unknown platform 'demo'." });
      assert.deepEqual(await errorOf(otherPublisher, 'get_symbols', ['demo']), { code: -32004, message: "Unknown platform 'demo'." });
      assert.deepEqual(await errorOf(reader, 'get_symbols', { platform: 'x"y' }), { code: -32004, message: 'Unknown platform.' });
      // The other organization reads its own platform.
      assert.deepEqual((await call(otherPublisher, 'get_symbols', { platform: 'other-mt5' })).result, []);
    });

    it('-32005 with retryAfterSeconds while the broker is unavailable', async () => {
      const broker = hub.app.trade.broker;
      const original = broker.snapshot;
      broker.snapshot = async () => {
        throw new BrokerUnavailableError('The event store cannot be reached; retry later.');
      };
      try {
        assert.deepEqual(await errorOf(reader, 'get_orders', { platform: 'demo', login: '1001' }), {
          code: -32005, message: 'The event store cannot be reached; retry later.', data: { retryAfterSeconds: 5 },
        });
      } finally {
        broker.snapshot = original;
      }
    });
  });

  describe('batches and notifications', () => {
    it('answers a batch with an array in order, leaving out notifications', async () => {
      const response = await rpc(terminal, [
        { jsonrpc: '2.0', method: 'get_account_info', params: { platform: 'demo', login: '1001' }, id: 1 },
        { jsonrpc: '2.0', method: 'ping' },
        { jsonrpc: '2.0', method: 'get_positions', params: ['demo', '1002'], id: 'two' },
        { jsonrpc: '2.0', method: 'nope', id: 3 },
        { foo: 'bar' },
        { jsonrpc: '2.0', method: 'get_orders', params: ['demo', '1001'], id: null },
        [],
      ]);
      assert.equal(response.status, 200);
      assert.ok(Array.isArray(response.body));
      assert.deepEqual(response.body.map((r: { id: unknown }) => r.id), [1, 'two', 3, null, null, null]);
      assert.equal(response.body[0].result.balance, 5_000);
      assert.equal(response.body[1].error.code, JsonRpcErrorCode.Forbidden);
      assert.equal(response.body[2].error.code, JsonRpcErrorCode.MethodNotFound);
      assert.equal(response.body[3].error.code, JsonRpcErrorCode.InvalidRequest);
      assert.deepEqual(response.body[4].result.map((o: { order: string }) => o.order), ['901']);
      assert.equal(response.body[5].error.code, JsonRpcErrorCode.InvalidRequest);
    });

    it('answers 204 without a body when there are only notifications', async () => {
      const single = await rpc(reader, { jsonrpc: '2.0', method: 'ping' });
      assert.equal(single.status, 204);
      assert.equal(single.text, '');
      // Failing notifications are not answered either.
      const batch = await rpc(reader, [
        { jsonrpc: '2.0', method: 'ping', params: {} },
        { jsonrpc: '2.0', method: 'nope' },
        { jsonrpc: '2.0', method: 'get_positions', params: { platform: 'other-mt5', login: '1' } },
      ]);
      assert.equal(batch.status, 204);
      assert.equal(batch.text, '');
    });

    it('answers an empty batch, and an oversized one, with one -32600 error', async () => {
      const empty = await rpc(reader, []);
      assert.deepEqual(empty.body, { jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request', data: 'An empty batch is not a request.' }, id: null });
      const big = await rpc(reader, Array.from({ length: 101 }, (_, id) => ({ jsonrpc: '2.0', method: 'ping', id })));
      assert.deepEqual(big.body, {
        jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request', data: 'A batch may hold at most 100 requests.' }, id: null,
      });
    });

    it('answers a batch of invalid requests with one error each', async () => {
      const response = await rpc(reader, [1, 2, 3]);
      assert.deepEqual(response.body, [1, 2, 3].map(() => ({
        jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request', data: 'A request must be a JSON object.' }, id: null,
      })));
    });
  });

  describe('HTTP', () => {
    it('authenticates before reading the request: 401 with WWW-Authenticate', async () => {
      const none = await rpc(undefined, { jsonrpc: '2.0', method: 'ping', id: 1 });
      assert.equal(none.status, 401);
      assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="tradehub"');
      assert.deepEqual(none.body, { error: 'invalid_token', error_description: 'A bearer token is required.' });
      const bad = await api.request('POST', '/rpc', { token: 'thub_not-a-real-token', body: 'not even json' });
      assert.equal(bad.status, 401);
      assert.match(bad.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      const inQuery = await api.request('POST', `/rpc?access_token=${reader}`, { json: { jsonrpc: '2.0', method: 'ping', id: 1 } });
      assert.equal(inQuery.status, 400);
    });

    it('answers JSON-RPC with HTTP 200, no-store, and only POST', async () => {
      const response = await rpc(reader, { jsonrpc: '2.0', method: 'nope', id: 1 });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      const get = await api.request('GET', '/rpc', { token: reader });
      assert.equal(get.status, 405);
      assert.equal(get.headers.get('allow'), 'POST');
    });

    it('refuses a body over 1 MB with 413', async () => {
      const response = await api.request('POST', '/rpc', {
        token: reader, body: JSON.stringify({ jsonrpc: '2.0', method: 'ping', params: { pad: 'x'.repeat(1024 * 1024) }, id: 1 }),
      });
      assert.equal(response.status, 413);
    });

    it('stops accepting a revoked terminal token at once', async () => {
      const admin = await api.clientToken('demo-admin', 'demo-admin-secret');
      const created = await api.request('POST', '/api/tokens', { token: admin, json: { name: 'short-lived', platform: 'demo', login: '1001' } });
      const token = api.remember(created.body.token as string);
      assert.equal((await call(token, 'ping')).result.pong, true);
      assert.equal((await api.request('DELETE', `/api/tokens/${created.body.id as string}`, { token: admin })).status, 200);
      const refused = await rpc(token, { jsonrpc: '2.0', method: 'ping', id: 1 });
      assert.equal(refused.status, 401);
      assert.equal(refused.body.error_description, 'The token was revoked.');
    });
  });
});
