import assert from 'node:assert/strict';
import { JsonRpcErrorCode } from '@tradehub/server';
import { WsCloseCode, type TradeEnvelope } from '@tradehub/shared';
import { basic, bearerChallenge, DEMO_READER, nowSeconds, postForm, refusedUpgrade, signToken, validClaims, withTestSecret } from './support/auth-helpers.js';
import { ApiClient, withSecondTenant, type StandardTokens } from './support/http-api.js';
import { RawWebSocket } from './support/raw-websocket.js';
import { ev, seqs, TradeClient } from './support/trade-helpers.js';
import { startTradehub, type RunningTradehub } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';
import { WsRpcClient } from './support/ws-rpc-client.js';

/** Outbound buffer per client for this node: small, so that a client that does not read is found out quickly. */
const MAX_BUFFERED_BYTES = 256 * 1024;

describe('/ws: JSON-RPC 2.0 over a plain WebSocket', function () {
  this.timeout(20_000);
  let hub: RunningTradehub;
  let api: ApiClient;
  let tokens: StandardTokens;
  let publisher: TradeClient;
  const clients: WsRpcClient[] = [];
  const logLines: string[] = [];

  before(async () => {
    hub = await startTradehub({
      config: (base) => withTestSecret(withSecondTenant(base)),
      hubOptions: { maximumBufferedBytesPerClient: MAX_BUFFERED_BYTES, keepAliveIntervalMs: 1_000 },
      logLines,
    });
    api = new ApiClient(hub.baseUrl);
    tokens = await api.standardTokens();
    publisher = await TradeClient.connect(hub.tradeHubUrl, tokens.publisher);
    await publisher.publish([ev.account('1001', 5_000), ev.position('1001', '801', 10_000), ev.order('1001', '901', 'placed'),
      ev.symbol('EURUSD'), ev.status('connected')]);
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });
  after(async () => {
    await publisher.stop();
    await hub.close();
    for (const token of Object.values(tokens)) assert.ok(!logLines.some((line) => line.includes(token)), 'a log line holds a token');
  });

  async function connect(token: string, inQuery = false): Promise<WsRpcClient> {
    const client = await WsRpcClient.connect(hub.baseUrl, token, { inQuery });
    clients.push(client);
    return client;
  }

  /** The same request through `POST /rpc`, its answer's body. */
  async function overHttp(token: string, request: unknown): Promise<unknown> {
    const response = await api.request('POST', '/rpc', { token, json: request });
    assert.equal(response.status, 200, response.text);
    return response.body;
  }

  /** serverTime differs from one call to the next; everything else must be equal. */
  const withoutTime = (answer: unknown): unknown => JSON.parse(JSON.stringify(answer, (key, value: unknown) => key === 'serverTime' ? 0 : value));

  describe('the methods of POST /rpc', () => {
    it('answers every request of the method table exactly as POST /rpc does', async () => {
      const ws = await connect(tokens.terminal);
      const requests = [
        { method: 'get_account_info', params: { platform: 'demo', login: '1001' } },
        { method: 'get_positions', params: ['demo', '1001'] },
        { method: 'get_orders', params: { platform: 'demo', login: '1001' } },
        { method: 'get_symbols', params: { platform: 'demo' } },
        { method: 'ping' },
        { method: 'ping', params: { platform: 'demo' } },
        { method: 'get_account_info', params: { platform: 'demo', login: '1002' } },
        { method: 'get_orders', params: { platform: 'demo' } },
        { method: 'get_symbols', params: { platform: 'demo', extra: 1 } },
      ];
      for (const [index, request] of requests.entries()) {
        const full = { jsonrpc: '2.0', ...request, id: index };
        ws.sendText(JSON.stringify(full));
        const answer = await ws.answerTo(index);
        assert.deepEqual(withoutTime(answer), withoutTime(await overHttp(tokens.terminal, full)), JSON.stringify(request));
      }
    });

    it('serves every method of the shared table, and the subscriptions besides', async () => {
      const ws = await connect(tokens.reader);
      const methodsOf = (answer: any): string[] => [...answer.error.data.methods].sort();
      const overWs = methodsOf(await ws.request('no_such_method'));
      const overRpc = methodsOf(await overHttp(tokens.reader, { jsonrpc: '2.0', method: 'no_such_method', id: 1 }));
      assert.deepEqual(overWs, [...overRpc, 'subscribe', 'unsubscribe'].sort());
    });

    it('answers a batch in one frame, in order, and a notification (no id) not at all', async () => {
      const ws = await connect(tokens.reader);
      ws.sendText(JSON.stringify([
        { jsonrpc: '2.0', method: 'ping', id: 'a' },
        { jsonrpc: '2.0', method: 'ping' },
        { jsonrpc: '2.0', method: 'get_symbols', params: { platform: 'demo' }, id: 'b' },
        { jsonrpc: '2.0', method: 'nope', id: 'c' },
      ]));
      ws.sendText(JSON.stringify({ jsonrpc: '2.0', method: 'ping' }));
      ws.sendText(JSON.stringify([{ jsonrpc: '2.0', method: 'ping' }]));
      const last = await ws.request('ping');
      assert.equal(last.result.pong, true);
      const frames = ws.frames();
      assert.equal(frames.length, 2, JSON.stringify(frames));
      const batch = frames.find(Array.isArray) as any[];
      assert.deepEqual(batch.map((answer) => answer.id), ['a', 'b', 'c']);
      assert.equal(batch[1].result[0].symbol, 'EURUSD');
      assert.equal(batch[2].error.code, JsonRpcErrorCode.MethodNotFound);
    });

    it('answers malformed JSON with -32700 and stays open; an oversized batch with -32600', async () => {
      const ws = await connect(tokens.reader);
      ws.sendText('{"jsonrpc": "2.0", "method": "ping", "id": 1');
      const parseError = await ws.answerTo(null);
      assert.equal(parseError.error?.code, JsonRpcErrorCode.ParseError);
      ws.sendText(JSON.stringify(Array.from({ length: 101 }, (_, id) => ({ jsonrpc: '2.0', method: 'ping', id }))));
      await waitUntil(() => ws.frames().length === 2, 'the batch answer');
      assert.equal((ws.frames()[1] as any).error.code, JsonRpcErrorCode.InvalidRequest);
      assert.equal((await ws.call('ping')).pong, true);
    });
  });

  describe('subscriptions', () => {
    it('subscribe answers with a snapshot, then events arrive as notifications, in order', async () => {
      const ws = await connect(tokens.reader);
      const topic = 'platforms/demo/ticks/GBPUSD';
      await publisher.publish([ev.tick('GBPUSD', 1.25)]);
      const [result] = await ws.call('subscribe', { topics: [topic] });
      assert.equal(result.status, 'snapshot');
      assert.equal(result.snapshot.kind, 'ticks');
      assert.equal(result.snapshot.ticks[0].bid, 1.25);
      const first = result.seq as number;
      for (let i = 1; i <= 20; i++) await publisher.publish([ev.tick('GBPUSD', 1.25 + i / 10_000)]);
      const received = await ws.waitForEvents(20, topic);
      assert.deepEqual(seqs(received), Array.from({ length: 20 }, (_, i) => first + 1 + i));
      // The answer came before any event it precedes.
      const answerIndex = ws.received.findIndex((message: any) => message.id !== undefined && Array.isArray(message.result));
      const firstEventIndex = ws.received.findIndex((message: any) => message.method === 'event');
      assert.ok(answerIndex < firstEventIndex);
      assert.deepEqual(Object.keys(ws.received[firstEventIndex] as object).sort(), ['jsonrpc', 'method', 'params']);

      assert.equal(await ws.call('unsubscribe', { topics: [topic] }), null);
      await publisher.publish([ev.tick('GBPUSD', 1.3)]);
      const sentinel = await ws.request('ping');
      assert.equal(sentinel.result.pong, true);
      assert.equal(ws.events.length, 20, 'no event after unsubscribe');
    });

    it('resumes from (epoch, seq) with the events missed meanwhile', async () => {
      const topic = 'platforms/demo/accounts/1001';
      const first = await connect(tokens.reader);
      const [start] = await first.call('subscribe', { topics: [topic] });
      await publisher.publish([ev.deal('1001', '11')]);
      const [seen] = await first.waitForEvents(1, topic);
      first.close();
      await publisher.publish([ev.deal('1001', '12'), ev.deal('1001', '13')]);

      const second = await connect(tokens.reader);
      const seenEvent = seen as TradeEnvelope;
      const [resumed] = await second.call('subscribe', { topics: [topic], resume: { [topic]: { epoch: seenEvent.epoch, seq: seenEvent.seq } } });
      assert.equal(resumed.status, 'resumed');
      assert.deepEqual(resumed.events.map((event: TradeEnvelope) => event.seq), [start.seq + 2, start.seq + 3]);
      await publisher.publish([ev.deal('1001', '14')]);
      const [live] = await second.waitForEvents(1, topic);
      assert.equal(live?.seq, start.seq + 4);
    });

    it('refuses a topic outside the token\'s rights with a JSON-RPC error, subscribing nothing', async () => {
      const ws = await connect(tokens.terminal);
      const answer = await ws.request('subscribe', { topics: ['platforms/demo/accounts/1001', 'platforms/demo/accounts/1002'] });
      assert.equal(answer.error?.code, JsonRpcErrorCode.Forbidden);
      assert.equal(answer.error?.message, "Access to topic 'platforms/demo/accounts/1002' is not allowed.");
      assert.deepEqual(answer.error?.data.refused.map((entry: { topic: string }) => entry.topic), ['platforms/demo/accounts/1002']);
      await publisher.publish([ev.deal('1001', '15')]);
      assert.equal((await ws.call('ping')).pong, true);
      assert.equal(ws.events.length, 0);
      const other = await ws.request('subscribe', { topics: ['platforms/demo-b/status'] });
      assert.equal(other.error?.code, JsonRpcErrorCode.Forbidden);
      const invalid = await ws.request('subscribe', { topics: [] });
      assert.equal(invalid.error?.code, JsonRpcErrorCode.InvalidParams);
    });
  });

  describe('authentication at the upgrade', () => {
    const wsUrl = (): string => `${hub.baseUrl}/ws`;

    it('takes the token in the Authorization header or in the access_token query', async () => {
      for (const inQuery of [false, true]) {
        const ws = await connect(tokens.reader, inQuery);
        assert.equal((await ws.call('ping')).pong, true);
      }
    });

    it('refuses a missing or bad token with 401, and a token sent both ways with 400', async () => {
      const missing = await refusedUpgrade(wsUrl());
      assert.equal(missing.status, 401);
      assert.equal(missing.headers['www-authenticate'], 'Bearer realm="tradehub"');
      const bad = await refusedUpgrade(`${wsUrl()}?access_token=not-a-token`);
      assert.equal(bad.status, 401);
      assert.match(String(bad.headers['www-authenticate']), /^Bearer realm="tradehub", error="invalid_token"/);
      const badHeader = await refusedUpgrade(wsUrl(), { Authorization: 'Bearer not.a.token' });
      assert.equal(badHeader.status, 401);
      const both = await refusedUpgrade(`${wsUrl()}?access_token=${tokens.reader}`, { Authorization: `Bearer ${tokens.reader}` });
      assert.equal(both.status, 400);
      assert.equal(both.headers['www-authenticate'], bearerChallenge('invalid_request', 'The token was sent in more than one way; send it once.'));
      const plain = await fetch(wsUrl());
      assert.equal(plain.status, 426);
    });

    it('closes the socket of a revoked token within 1 s (4003)', async () => {
      const token = await api.clientToken(DEMO_READER.id, DEMO_READER.secret);
      const ws = await connect(token);
      const started = Date.now();
      const answer = await postForm(`${hub.baseUrl}/connect/revocation`, { token }, { Authorization: basic(DEMO_READER.id, DEMO_READER.secret) });
      assert.equal(answer.status, 200);
      const closure = await ws.closed(2_000);
      assert.ok(closure.at - started < 1_000, `closed after ${closure.at - started} ms`);
      assert.deepEqual([closure.code, closure.reason], [WsCloseCode.TokenRevoked, 'The access token was revoked.']);
      assert.equal((await refusedUpgrade(wsUrl(), { Authorization: `Bearer ${token}` })).status, 401);
    });

    it('closes the socket of a revoked terminal token within 1 s', async () => {
      const created = await api.request('POST', '/api/tokens', { token: tokens.admin, json: { name: 'ws terminal', platform: 'demo', login: '1001' } });
      assert.equal(created.status, 201, created.text);
      const ws = await connect(api.remember(created.body.token as string));
      assert.equal((await ws.call('get_account_info', { platform: 'demo', login: '1001' })).login, '1001');
      const started = Date.now();
      assert.equal((await api.request('DELETE', `/api/tokens/${created.body.id as string}`, { token: tokens.admin })).status, 200);
      const closure = await ws.closed(2_000);
      assert.equal(closure.code, WsCloseCode.TokenRevoked);
      assert.ok(closure.at - started < 1_000, `closed after ${closure.at - started} ms`);
    });

    it('closes the socket when its token expires (4001)', async () => {
      const exp = nowSeconds() + 2;
      const ws = await connect(signToken(validClaims({ exp })));
      assert.equal((await ws.call('ping')).pong, true);
      const closure = await ws.closed(4_000);
      assert.deepEqual([closure.code, closure.reason], [WsCloseCode.TokenExpired, 'The access token expired.']);
      assert.ok(closure.at >= exp * 1000 - 50 && closure.at <= exp * 1000 + 1_000, `closed ${closure.at - exp * 1000} ms after expiry`);
    });
  });

  describe('limits', () => {
    it('closes a binary frame with 1003 and a frame over 1 MiB with 1009', async () => {
      const binary = await connect(tokens.reader);
      binary.socket.send(Buffer.from('{"jsonrpc":"2.0","method":"ping","id":1}'));
      assert.equal((await binary.closed()).code, WsCloseCode.UnsupportedData);
      const huge = await connect(tokens.reader);
      huge.sendText(JSON.stringify({ jsonrpc: '2.0', method: 'ping', params: { platform: 'x'.repeat(1024 * 1024) }, id: 1 }));
      assert.equal((await huge.closed()).code, WsCloseCode.MessageTooBig);
    });

    it('answers many pipelined requests, and closes a flood of frames past what it queues (4029)', async () => {
      const ws = await connect(tokens.reader);
      for (let id = 0; id < 300; id++) ws.sendText(JSON.stringify({ jsonrpc: '2.0', method: 'ping', id }));
      await ws.answerTo(299);
      await waitUntil(() => ws.frames().length === 300, 'every pipelined answer');

      const raw = await RawWebSocket.open(`${hub.baseUrl}/ws?access_token=${tokens.reader}`);
      // 9,000 one-byte requests in one write: read at once, far more than 16 running and 1,024 waiting.
      await raw.write(Buffer.concat(Array.from({ length: 9_000 }, () => RawWebSocket.frame(Buffer.from('1')))));
      await waitUntil(() => raw.closeCode !== undefined, 'the close frame');
      assert.equal(raw.closeCode, WsCloseCode.TooManyRequests);
      raw.destroy();
    });

    it('cuts off a peer that stops answering pings', async () => {
      const before = hub.app.wsRpc.connectionCount;
      const raw = await RawWebSocket.open(`${hub.baseUrl}/ws?access_token=${tokens.reader}`);
      await waitUntil(() => hub.app.wsRpc.connectionCount === before + 1, 'the raw socket to be open');
      // The raw socket never answers a ping: within two ping intervals (1 s) it is gone.
      await waitUntil(() => raw.ended, 'the server to cut off the silent peer', 4_000);
      assert.equal(hub.app.wsRpc.connectionCount, before);
    });

  });

  describe('a client that does not read', () => {
    // A node of its own, with pings far apart: the client must be closed for its backlog alone.
    let node: RunningTradehub;
    let nodeApi: ApiClient;
    before(async () => {
      node = await startTradehub({ hubOptions: { maximumBufferedBytesPerClient: MAX_BUFFERED_BYTES } });
      nodeApi = new ApiClient(node.baseUrl);
    });
    after(async () => {
      await node.close();
    });

    it('is closed (4008) once its backlog passes the limit, the server holding no more than that', async () => {
      const reader = await nodeApi.clientToken(DEMO_READER.id, DEMO_READER.secret);
      const publisherToken = await nodeApi.clientToken('demo-publisher', 'demo-publisher-secret');
      const raw = await RawWebSocket.open(`${node.baseUrl}/ws?access_token=${reader}`);
      await raw.write(RawWebSocket.frame(Buffer.from(JSON.stringify({ jsonrpc: '2.0', method: 'subscribe', params: { topics: ['platforms/demo/symbols'] }, id: 1 }))));
      await waitUntil(() => raw.texts.includes('"id":1'), 'the subscribe answer');
      raw.socket.pause();
      const batch = Array.from({ length: 1000 }, (_, i) => {
        const { platformId: _platform, ...event } = ev.symbol(`S${i}`);
        return { ...event, data: { ...event.data, description: 'd'.repeat(200) } };
      });
      const MAX_BATCHES = 150;
      let published = 0;
      let mostBuffered = 0;
      // Up to about 60 MB of events: far more than the socket buffers and the 256 KiB limit hold.
      while (node.app.wsRpc.connectionCount > 0 && published < MAX_BATCHES) {
        const answer = await nodeApi.request('POST', '/api/platforms/demo/events', { token: publisherToken, json: { events: batch } });
        assert.equal(answer.status, 200, answer.text);
        published++;
        mostBuffered = Math.max(mostBuffered, node.app.wsRpc.bufferedBytes);
      }
      // What the server held for the client: the limit, and at most one notification past it.
      assert.ok(mostBuffered <= MAX_BUFFERED_BYTES + 1024, `${mostBuffered} bytes were waiting for the client`);
      await waitUntil(() => node.app.wsRpc.connectionCount === 0, 'the server to close the socket that does not read', 5_000);
      assert.ok(published < MAX_BATCHES, 'closed before everything was published');
      // Closed by its backlog (the server holds no more than the limit for it), not as a silent peer.
      const limitHits = await node.app.metrics.limitRejections.get();
      assert.equal(limitHits.values.find((value) => value.labels.limit === 'outbound_buffer')?.value, 1);
      raw.socket.resume();
      await waitUntil(() => raw.closeCode !== undefined || raw.ended, 'the close frame or the cut-off');
      if (raw.closeCode !== undefined) assert.equal(raw.closeCode, WsCloseCode.TooSlow);
      raw.destroy();
    });
  });

  it('subscribe takes maxRatePerSecond as the trade hub does: ticks conflated for that socket, the newest last; other events and sockets get everything', async () => {
    const limited = await connect(tokens.reader);
    const unlimited = await connect(tokens.reader);
    const ticks = 'platforms/demo/ticks/WSRATE1';
    const account = 'platforms/demo/accounts/7101';
    const [rated] = await limited.call('subscribe', { topics: [ticks], maxRatePerSecond: 4 });
    assert.equal(rated.status, 'snapshot');
    // Positional params in the documented order: topics, resume, maxRatePerSecond.
    assert.equal((await limited.call('subscribe', [[account], null]))[0].status, 'snapshot');
    await unlimited.call('subscribe', { topics: [ticks] });
    const started = Date.now();
    const count = 40;
    for (let i = 1; i <= count; i++) {
      await publisher.publish([ev.tick('WSRATE1', 1 + i / 10_000), ev.deal('7101', String(i))]);
      // Paced by delivery: each tick reached the socket without a rate before the next is published.
      await unlimited.waitForEvents(i, ticks);
    }
    await limited.waitForEvents(count, account);
    await waitUntil(() => limited.events.filter((event) => event.topic === ticks).at(-1)?.seq === count, 'the newest tick at the rate-limited socket');
    const elapsedSeconds = (Date.now() - started) / 1000;
    const delivered = limited.events.filter((event) => event.topic === ticks);
    assert.ok(delivered.length <= Math.ceil(elapsedSeconds * 4) + 1, `${delivered.length} ticks in ${elapsedSeconds} s at 4 per second`);
    assert.ok(delivered.length < count, 'ticks were conflated');
    assert.deepEqual(seqs(delivered), [...seqs(delivered)].sort((x, y) => x - y), 'in seq order');
    assert.deepEqual(seqs(limited.events.filter((event) => event.topic === account)), Array.from({ length: count }, (_, i) => i + 1), 'every deal, in order');
    // Out of range or not a number: -32602 naming the param, nothing subscribed.
    for (const maxRatePerSecond of [0, 5000, 'x', null]) {
      const answer = await limited.request('subscribe', { topics: ['platforms/demo/ticks/WSRATE2'], maxRatePerSecond });
      assert.equal(answer.error?.code, -32602, JSON.stringify(answer));
      assert.equal(answer.error?.data?.[0]?.param, 'maxRatePerSecond');
    }
  });

  it('closes its sockets with 1001 on graceful shutdown', async () => {
    const node = await startTradehub({ config: withSecondTenant });
    try {
      const token = await new ApiClient(node.baseUrl).clientToken(DEMO_READER.id, DEMO_READER.secret);
      const ws = await WsRpcClient.connect(node.baseUrl, token);
      clients.push(ws);
      const closing = node.close();
      const closure = await ws.closed();
      assert.equal(closure.code, WsCloseCode.GoingAway);
      await closing;
    } catch (error) {
      await node.close().catch(() => undefined);
      throw error;
    }
  });
});
