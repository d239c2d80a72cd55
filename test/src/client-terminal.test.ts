import assert from 'node:assert/strict';
import {
  ConfigurationError, connectTerminal, HubMethodError, InvalidRequestError, TokenRefusedError, Topics, TradeRetcode, type OrderSendRequest, type TopicItem, type TradeEnvelope, type TradehubClient,
  type TradehubTerminal, type TradeResult,
} from '@tradehub/client';
import { ClientPool, READER } from './support/client-fixtures.js';
import { ApiClient } from './support/http-api.js';
import { startTradehub, type RunningTradehub } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';

const ACCOUNT = Topics.account('demo', '5001');
const TICKS = Topics.ticks('demo', 'EURUSD');

/** The typed client's terminal requests, end to end against the demo's simulated terminal (login 5001). */
describe('typed client: requests to a terminal (client.terminal)', function () {
  this.timeout(20_000);
  let hub: RunningTradehub;
  let api: ApiClient;
  let admin: string;
  let terminalToken: string;
  let otherTerminalToken: string;
  const pool = new ClientPool();
  const terminals: TradehubTerminal[] = [];

  before(async () => {
    hub = await startTradehub({ simulatePlatform: 'demo' });
    api = new ApiClient(hub.baseUrl);
    admin = await api.clientToken('demo-admin', 'demo-admin-secret');
    terminalToken = await api.terminalToken(admin, 'demo', '5001');
    otherTerminalToken = await api.terminalToken(admin, 'demo', '1001');
  });
  afterEach(async () => {
    await pool.closeAll();
    await Promise.all(terminals.splice(0).map((terminal) => terminal.close()));
  });
  after(() => hub.close());

  /** A reader following the simulated account and its quotes. */
  async function watcher(): Promise<{ events: TradeEnvelope[] }> {
    const reader = await pool.connect({ url: hub.baseUrl, credentials: READER });
    const events: TradeEnvelope[] = [];
    await reader.subscribe([ACCOUNT, TICKS], (item: TopicItem<typeof ACCOUNT | typeof TICKS>) => {
      if (item.kind === 'event') events.push(item.event);
    });
    await waitUntil(() => events.some((event) => event.topic === TICKS), 'a quote of EURUSD');
    return { events };
  }

  it('sends, modifies and closes an order and reads the history: filled at the simulated price, with order, deal, position and account events in order', async () => {
    const { events } = await watcher();
    const client: TradehubClient = await pool.connect({ url: hub.baseUrl, token: terminalToken });
    const terminal = client.terminal('demo', '5001');
    const status = await terminal.status();
    assert.equal(status.online, true);
    assert.equal(status.name, 'Simulated terminal');

    const sent = await terminal.orderSend({ symbol: 'EURUSD', type: 'buy', volume: 1_000 });
    assert.equal(sent.retcode, TradeRetcode.Done);
    assert.equal(sent.volume, 1_000);
    const position = sent.position as string;
    // Bought at the ask of a quote the hub published.
    assert.ok(events.some((event) => event.type === 'tick' && event.data.ask === sent.price), `filled at ${sent.price}, a quoted ask`);
    const fill = (): TradeEnvelope[] => events.filter((event) => event.topic === ACCOUNT && (
      (event.type === 'order' && event.data.order === sent.order) || (event.type === 'deal' && event.data.deal === sent.deal)
      || (event.type === 'position' && event.data.position === position) || event.type === 'account'));
    await waitUntil(() => fill().some((event) => event.type === 'position'), 'the fill events');
    const types = fill().map((event) => event.type);
    assert.deepEqual(types.slice(types.indexOf('order'), types.indexOf('order') + 4), ['order', 'deal', 'position', 'account']);

    const modified = await terminal.orderModify({ ticket: position, sl: Number(((sent.price ?? 1) - 0.01).toFixed(5)) });
    assert.equal(modified.retcode, TradeRetcode.Done);
    const closed = await terminal.orderClose({ ticket: position });
    assert.equal(closed.retcode, TradeRetcode.Done);
    const history = await terminal.getHistory({ from: Date.now() - 60_000, to: Date.now() });
    assert.deepEqual(history.deals.filter((deal) => deal.position === position).map((deal) => deal.entry), ['in', 'out']);
  });

  it('refuses with typed errors: an invalid request before sending, another account, an offline terminal', async () => {
    const client = await pool.connect({ url: hub.baseUrl, token: terminalToken });
    const terminal = client.terminal('demo', '5001');
    await assert.rejects(terminal.orderSend({ symbol: 'EURUSD', type: 'buy', volume: 0 }), (error: unknown) =>
      error instanceof InvalidRequestError && error.code === 'invalid_request' && /volume/.test(error.message));
    await assert.rejects(terminal.getHistory({ from: 2, to: 1 }), InvalidRequestError);
    await assert.rejects(client.terminal('demo', '1001').orderSend({ symbol: 'EURUSD', type: 'buy', volume: 1_000 }), (error: unknown) =>
      error instanceof HubMethodError && /Only a terminal token of this platform and login/.test(error.serverMessage));
    // Login 1001 has no terminal connected: answered at once.
    const offlineClient = await pool.connect({ url: hub.baseUrl, token: otherTerminalToken });
    const started = Date.now();
    await assert.rejects(offlineClient.terminal('demo', '1001').orderSend({ symbol: 'EURUSD', type: 'buy', volume: 1_000 }), (error: unknown) =>
      error instanceof HubMethodError && /offline/.test(error.serverMessage));
    assert.ok(Date.now() - started < 1_000);
    assert.deepEqual(await offlineClient.terminal('demo', '1001').status(), { online: false, name: null, node: null, since: null });
  });

  it('is a terminal with connectTerminal: answers forwarded requests with its typed handlers and publishes its account events', async () => {
    const token = await api.terminalToken(admin, 'demo', '7301');
    const received: OrderSendRequest[] = [];
    const fill = (request: OrderSendRequest): TradeResult => ({ retcode: TradeRetcode.Done, order: '71', deal: '72', position: '71', volume: request.volume, price: 1.25, time: Date.now() });
    const ea: { terminal?: TradehubTerminal } = {};
    ea.terminal = await connectTerminal({
      url: hub.baseUrl, token, timeouts: { requestMs: 5_000 },
      handlers: {
        orderSend: async (request) => {
          received.push(request);
          const time = Date.now();
          await ea.terminal?.publish([{ type: 'deal', platformId: 'demo', data: {
            deal: '72', order: '71', position: '71', login: '7301', symbol: request.symbol, action: 'buy', entry: 'in', volume: request.volume, price: 1.25,
            profit: 0, commission: 0, swap: 0, time,
          } }]);
          return fill(request);
        },
        // An answer that breaks the contract never reaches the caller as a result.
        orderModify: () => ({ retcode: 'done' }) as unknown as TradeResult,
      },
    });
    terminals.push(ea.terminal);
    const external = await pool.connect({ url: hub.baseUrl, token });
    const requests = external.terminal('demo', '7301');
    assert.equal((await requests.status()).online, true);
    const deals: TradeEnvelope[] = [];
    await external.subscribe(Topics.account('demo', '7301'), (item) => {
      if (item.kind === 'event') deals.push(item.event);
    });

    const result = await requests.orderSend({ symbol: 'EURUSD', type: 'buy', volume: 2_000 });
    assert.deepEqual({ ...result, time: 0 }, { ...fill({ symbol: 'EURUSD', type: 'buy', volume: 2_000 }), time: 0 });
    assert.deepEqual(received, [{ symbol: 'EURUSD', type: 'buy', volume: 2_000 }]);
    await waitUntil(() => deals.some((event) => event.type === 'deal' && event.data.deal === '72'), 'the deal the terminal published');
    await assert.rejects(requests.orderModify({ ticket: '71', sl: 1.2 }), (error: unknown) =>
      error instanceof HubMethodError && /refused the request: .*invalid result: retcode/.test(error.serverMessage));
    await assert.rejects(requests.orderClose({ ticket: '71' }), (error: unknown) =>
      error instanceof HubMethodError && /does not handle OrderClose/.test(error.serverMessage));

    // A second terminal with the same token replaces the first, which ends instead of coming back.
    const ended = new Promise<string>((resolve) => ea.terminal?.onConnection((change) => {
      if (change.state === 'disconnected') resolve(change.reason?.message ?? '');
    }));
    const successor = await connectTerminal({ url: hub.baseUrl, token, handlers: { orderSend: (request) => ({ ...fill(request), order: '99' }) } });
    terminals.push(successor);
    assert.match(await ended, /replaced this one/);
    assert.equal(ea.terminal.connectionState, 'disconnected');
    assert.equal((await requests.orderSend({ symbol: 'EURUSD', type: 'buy', volume: 1_000 })).order, '99');
  });

  it('tells the device of a device-bound terminal token (deviceId) on the terminal hub, the trade hub and /rpc; refused without it', async () => {
    const created = await api.request('POST', '/api/tokens', { token: admin, json: { name: 'Bound EA', platform: 'demo', login: '7302', device: 'vps-typed' } });
    assert.equal(created.status, 201, created.text);
    const token = api.remember(created.body.token as string);
    await assert.rejects(connectTerminal({ url: hub.baseUrl, token, handlers: {} }), TokenRefusedError);
    terminals.push(await connectTerminal({ url: hub.baseUrl, token, deviceId: 'vps-typed', handlers: { orderSend: (request) => ({ retcode: TradeRetcode.Done, volume: request.volume, time: Date.now() }) } }));
    const external = await pool.connect({ url: hub.baseUrl, token, deviceId: 'vps-typed' });
    assert.equal((await external.terminal('demo', '7302').status()).online, true);
    assert.equal((await external.terminal('demo', '7302').orderSend({ symbol: 'EURUSD', type: 'sell', volume: 3_000 })).volume, 3_000);
    await assert.rejects(pool.connect({ url: hub.baseUrl, token }), TokenRefusedError);
    for (const deviceId of ['', 'd'.repeat(201)]) await assert.rejects(pool.connect({ url: hub.baseUrl, token, deviceId }), ConfigurationError);
  });
});
