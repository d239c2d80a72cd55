import assert from 'node:assert/strict';
import {
  HubMethodError, InvalidRequestError, Topics, TradeRetcode, type TopicItem, type TradeEnvelope, type TradehubClient,
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
  let terminalToken: string;
  let otherTerminalToken: string;
  const pool = new ClientPool();

  before(async () => {
    hub = await startTradehub({ simulatePlatform: 'demo' });
    const api = new ApiClient(hub.baseUrl);
    const admin = await api.clientToken('demo-admin', 'demo-admin-secret');
    terminalToken = await api.terminalToken(admin, 'demo', '5001');
    otherTerminalToken = await api.terminalToken(admin, 'demo', '1001');
  });
  afterEach(() => pool.closeAll());
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
});
