import assert from 'node:assert/strict';
import type { HubConnection } from '@microsoft/signalr';
import { JsonRpcErrorCode, MAX_HISTORY_ITEMS, Topics, type HistoryResult, type TerminalStatus, type TradeEnvelope, type TradeResult } from '@tradehub/shared';
import { nextClose } from './support/official-client.js';
import { ApiClient } from './support/http-api.js';
import { filledResult, rpc, terminalConnection } from './support/terminal-helpers.js';
import { TradeClient } from './support/trade-helpers.js';
import { startTradehub, type RunningTradehub } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';

const ORDER = { platform: 'demo', login: '1001', symbol: 'EURUSD', type: 'buy', volume: 10_000 };

/** One node with a short terminal time-out and the demo's simulated account (login 5001) as an in-process terminal. */
describe('terminal gateway: bad answers, time-outs, bad requests and the simulated terminal', function () {
  this.timeout(20_000);
  let hub: RunningTradehub;
  let api: ApiClient;
  let admin: string;
  let token: string;
  const connections: HubConnection[] = [];
  const logLines: string[] = [];

  before(async () => {
    hub = await startTradehub({
      simulatePlatform: 'demo', logLines,
      config: (base) => ({ ...base, trade: { ...base.trade, terminalRequestTimeoutMs: 400 } }),
    });
    api = new ApiClient(hub.baseUrl);
    admin = await api.clientToken('demo-admin', 'demo-admin-secret');
    token = await api.terminalToken(admin, 'demo', '1001');
  });
  afterEach(async () => {
    await Promise.all(connections.splice(0).map((connection) => connection.stop()));
  });
  after(async () => {
    await hub.close();
    assert.ok(!logLines.some((line) => line.includes(token)), 'a log line contains the terminal token');
  });

  async function terminal(handlers: Parameters<typeof terminalConnection>[2]): Promise<HubConnection> {
    const connection = await terminalConnection(hub.baseUrl, token, handlers);
    connections.push(connection);
    return connection;
  }

  it('answers a clear error when the terminal answers garbage', async () => {
    await terminal({ OrderSend: () => ({ retcode: 'done', order: 42, extra: '\u0000'.repeat(10) }) });
    const answer = await rpc(hub.baseUrl, token, 'order_send', ORDER);
    assert.equal(answer.body?.error?.code, JsonRpcErrorCode.TerminalBadAnswer);
    assert.match(answer.body?.error?.message ?? '', /not a valid result/);
    const problems = (answer.body?.error?.data as { problems: Array<{ field: string }> }).problems;
    assert.ok(problems.some((problem) => problem.field === 'retcode'));
  });

  it('answers a time-out error when the terminal never answers, on /rpc and on the trade hub', async () => {
    await terminal({ OrderSend: () => new Promise(() => undefined) });
    const started = Date.now();
    const answer = await rpc(hub.baseUrl, token, 'order_send', ORDER);
    assert.equal(answer.body?.error?.code, JsonRpcErrorCode.TerminalTimeout);
    assert.ok(Date.now() - started < 2_000);
    const external = await TradeClient.connect(hub.tradeHubUrl, token);
    try {
      await assert.rejects(external.connection.invoke('OrderSend', 'demo', '1001', { symbol: 'EURUSD', type: 'buy', volume: 1 }), /did not answer OrderSend within 400 ms/);
    } finally {
      await external.stop();
    }
  });

  it('refuses at once what would wait beyond 16 requests for one terminal', async () => {
    let asked = 0;
    await terminal({ OrderSend: () => { asked++; return new Promise(() => undefined); } });
    const waiting = Array.from({ length: 16 }, () => rpc(hub.baseUrl, token, 'order_send', ORDER));
    await waitUntil(() => asked === 16, 'the terminal to be asked 16 times');
    const busy = await rpc(hub.baseUrl, token, 'order_send', ORDER);
    assert.equal(busy.body?.error?.code, JsonRpcErrorCode.TerminalBusy);
    const answers = await Promise.all(waiting);
    assert.ok(answers.every((answer) => answer.body?.error?.code === JsonRpcErrorCode.TerminalTimeout));
    assert.equal(asked, 16);
  });

  it("passes the terminal's own refusal on, and a terminal that leaves while asked answers offline at once", async () => {
    const leaving: { connection?: HubConnection } = {};
    await terminal({ OrderSend: () => { throw new Error('market closed'); } });
    const refused = await rpc(hub.baseUrl, token, 'order_send', ORDER);
    assert.equal(refused.body?.error?.code, JsonRpcErrorCode.TerminalRefused);
    assert.match(refused.body?.error?.message ?? '', /market closed/);
    await connections.splice(0)[0]?.stop();

    leaving.connection = await terminal({ OrderSend: () => { void leaving.connection?.stop(); return new Promise(() => undefined); } });
    const answer = await rpc(hub.baseUrl, token, 'order_send', ORDER);
    assert.equal(answer.body?.error?.code, JsonRpcErrorCode.TerminalOffline);
  });

  it('refuses invalid requests before the terminal sees them, and orders from a token without trade.publish', async () => {
    let calls = 0;
    await terminal({ OrderSend: () => { calls++; return filledResult(1, 1, 1); }, GetHistory: () => { calls++; return { deals: [], orders: [] }; } });
    const bad = await rpc(hub.baseUrl, token, 'order_send', { ...ORDER, volume: -5, magic: 1 });
    assert.equal(bad.body?.error?.code, JsonRpcErrorCode.InvalidParams);
    const range = await rpc(hub.baseUrl, token, 'get_history', { platform: 'demo', login: '1001', from: 10, to: 5 });
    assert.equal(range.body?.error?.code, JsonRpcErrorCode.InvalidParams);
    const readOnly = await api.terminalToken(admin, 'demo', '1001', ['trade.read']);
    const refused = await rpc(hub.baseUrl, readOnly, 'order_send', ORDER);
    assert.equal(refused.body?.error?.code, JsonRpcErrorCode.Forbidden);
    assert.match(refused.body?.error?.message ?? '', /trade\.publish/);
    const history = await rpc(hub.baseUrl, readOnly, 'get_history', { platform: 'demo', login: '1001', from: 0, to: 10 });
    assert.deepEqual(history.body?.result, { deals: [], orders: [] });
    assert.equal(calls, 1);
  });

  it('carries a long history from the terminal, and refuses one longer than the contract allows', async () => {
    const deal = (index: number) => ({
      deal: String(10_000 + index), order: String(20_000 + index), position: String(30_000 + index), login: '1001', symbol: 'EURUSD',
      action: 'buy', entry: 'in', volume: 10_000, price: 1.08426, profit: 0, commission: -0.7, swap: 0, time: 1_767_225_600_000 + index,
    });
    let count = MAX_HISTORY_ITEMS;
    await terminal({ GetHistory: () => ({ deals: Array.from({ length: count }, (_, index) => deal(index)), orders: [] }) });
    const params = { platform: 'demo', login: '1001', from: 1_767_225_600_000, to: 1_767_225_600_000 + 86_400_000 };
    const answer = await rpc(hub.baseUrl, token, 'get_history', params);
    assert.equal((answer.body?.result as HistoryResult | undefined)?.deals.length, MAX_HISTORY_ITEMS, JSON.stringify(answer.body?.error));
    count = MAX_HISTORY_ITEMS + 1;
    const tooLong = await rpc(hub.baseUrl, token, 'get_history', params);
    assert.equal(tooLong.body?.error?.code, JsonRpcErrorCode.TerminalBadAnswer);
  });

  it('refuses a malformed or huge /rpc body', async () => {
    const post = (body: string): Promise<Response> => fetch(`${hub.baseUrl}/rpc`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
    const malformed = await post('{"jsonrpc":"2.0","method":"order_send",');
    assert.equal(((await malformed.json()) as { error: { code: number } }).error.code, JsonRpcErrorCode.ParseError);
    const huge = await post(JSON.stringify({ jsonrpc: '2.0', method: 'order_send', params: { ...ORDER, comment: 'x'.repeat(2 * 1024 * 1024) }, id: 1 }));
    assert.equal(huge.status, 413);
  });

  it('drops a terminal offline when its token expires, closing its connection', async () => {
    const created = await api.request('POST', '/api/tokens', { token: admin, json: { name: 'short-lived EA', platform: 'demo', login: '1002', expiresAt: Date.now() + 1_500 } });
    assert.equal(created.status, 201, created.text);
    const shortLived = api.remember(created.body.token as string);
    const reader = await TradeClient.connect(hub.tradeHubUrl, await api.clientToken('demo-reader', 'demo-reader-secret'));
    try {
      await reader.subscribe([Topics.status('demo')]);
      const ea = await terminalConnection(hub.baseUrl, shortLived);
      connections.push(ea);
      const closed = nextClose(ea, 5_000);
      const statuses = (): TerminalStatus[] => reader.eventsOf(Topics.status('demo')).flatMap((envelope) =>
        envelope.type === 'terminal.status' && envelope.data.login === '1002' ? [envelope.data] : []);
      await waitUntil(() => statuses().some((status) => status.state === 'online'), 'online');
      assert.match(String(await closed), /expired/);
      await waitUntil(() => statuses().some((status) => status.state === 'offline'), 'offline');
      assert.equal(statuses().find((status) => status.state === 'offline')?.reason, 'token expired');
    } finally {
      await reader.stop();
    }
  });

  it('fills orders on the simulated account (login 5001) at the simulated price, with order, deal, position and account events in order', async () => {
    const simulatedToken = await api.terminalToken(admin, 'demo', '5001');
    const reader = await TradeClient.connect(hub.tradeHubUrl, await api.clientToken('demo-reader', 'demo-reader-secret'));
    try {
      const topic = Topics.account('demo', '5001');
      const [subscribed] = await reader.subscribe([topic, Topics.ticks('demo', 'EURUSD')]);
      assert.equal(subscribed?.status, 'snapshot');
      await reader.waitForEvents(1, Topics.ticks('demo', 'EURUSD'));
      const sent = await rpc(hub.baseUrl, simulatedToken, 'order_send', { platform: 'demo', login: '5001', symbol: 'EURUSD', type: 'sell', volume: 1_000 });
      const result = sent.body?.result as TradeResult;
      assert.equal(result.retcode, 10009, JSON.stringify(sent.body));
      const position = result.position as string;
      await waitUntil(() => reader.eventsOf(topic).some((envelope) => envelope.type === 'account' && reader.eventsOf(topic).some((e) => e.type === 'deal' && e.data.deal === result.deal)), 'the fill events');
      const fill = reader.eventsOf(topic).filter((envelope: TradeEnvelope) =>
        (envelope.type === 'order' && envelope.data.order === result.order) || (envelope.type === 'deal' && envelope.data.deal === result.deal)
        || (envelope.type === 'position' && envelope.data.position === position));
      assert.deepEqual(fill.map((envelope) => envelope.type), ['order', 'deal', 'position']);
      const afterFill = reader.eventsOf(topic);
      const dealIndex = afterFill.findIndex((envelope) => envelope.type === 'deal' && envelope.data.deal === result.deal);
      assert.equal(afterFill[dealIndex + 2]?.type, 'account');
      const quotes = reader.eventsOf(Topics.ticks('demo', 'EURUSD'));
      assert.ok(quotes.some((tick) => tick.type === 'tick' && tick.data.bid === result.price), 'filled at a quoted bid');

      const closed = await rpc(hub.baseUrl, simulatedToken, 'order_close', { platform: 'demo', login: '5001', ticket: position });
      assert.equal((closed.body?.result as TradeResult).retcode, 10009, JSON.stringify(closed.body));
      const history = await rpc(hub.baseUrl, simulatedToken, 'get_history', { platform: 'demo', login: '5001', from: Date.now() - 60_000, to: Date.now() });
      const deals = (history.body?.result as HistoryResult).deals.filter((deal) => deal.position === position);
      assert.deepEqual(deals.map((deal) => deal.entry), ['in', 'out']);
    } finally {
      await reader.stop();
    }
  });
});
