import assert from 'node:assert/strict';
import { HubConnectionState, type HubConnection } from '@microsoft/signalr';
import { JsonRpcErrorCode, Topics, type OrderSendRequest, type TerminalStatus, type TradeEnvelope, type TradeEventInput } from '@tradehub/shared';
import { HubProcess } from './support/hub-process.js';
import { ApiClient } from './support/http-api.js';
import { nextClose } from './support/official-client.js';
import { deleteKeys, SHARED_REDIS_URL } from './support/redis-server.js';
import { filledResult, rpc, terminalConnection } from './support/terminal-helpers.js';
import { TradeClient } from './support/trade-helpers.js';
import { uniqueKeyPrefix } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';

const ACCOUNT = Topics.account('demo', '1001');
const STATUS = Topics.status('demo');
const ORDER: OrderSendRequest = { symbol: 'EURUSD', type: 'buy', volume: 10_000 };

/** The events a terminal publishes for a filled market order: order, deal, position, account. */
function fillEvents(ticket: number, price: number): TradeEventInput[] {
  const time = Date.now();
  const login = '1001';
  return [
    { type: 'order', platformId: 'demo', data: { order: String(ticket), login, symbol: 'EURUSD', type: 'buy', state: 'filled', volumeInitial: 10_000, volumeCurrent: 0, priceOpen: price, timeSetup: time, timeDone: time, time } },
    { type: 'deal', platformId: 'demo', data: { deal: String(ticket + 1), order: String(ticket), position: String(ticket), login, symbol: 'EURUSD', action: 'buy', entry: 'in', volume: 10_000, price, profit: 0, commission: 0, swap: 0, time } },
    { type: 'position', platformId: 'demo', data: { position: String(ticket), login, symbol: 'EURUSD', direction: 'buy', volume: 10_000, priceOpen: price, priceCurrent: price, profit: 0, swap: 0, time } },
    { type: 'account', platformId: 'demo', data: { login, balance: 1000, credit: 0, equity: 1000, margin: 10, marginFree: 990, marginLevel: 10_000, currency: 'USD', leverage: 100, time } },
  ];
}

function terminalStatuses(client: TradeClient): TerminalStatus[] {
  return client.eventsOf(STATUS).flatMap((envelope) => envelope.type === 'terminal.status' ? [envelope.data] : []);
}

/** Two tradehub processes sharing one Redis: the terminal on one, its external client on the other. */
describe('terminal gateway across two node processes', function () {
  this.timeout(30_000);
  const prefix = uniqueKeyPrefix();
  const nodes: HubProcess[] = [];
  const connections: HubConnection[] = [];
  const clients: TradeClient[] = [];
  let A: HubProcess;
  let B: HubProcess;
  let api: ApiClient;
  let admin: string;
  let reader: string;

  before(async () => {
    const env = { REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: prefix };
    nodes.push(...await Promise.all([HubProcess.start(env), HubProcess.start(env)]));
    [A, B] = nodes as [HubProcess, HubProcess];
    api = new ApiClient(A.baseUrl);
    admin = await api.clientToken('demo-admin', 'demo-admin-secret');
    reader = await api.clientToken('demo-reader', 'demo-reader-secret');
  });
  afterEach(async () => {
    await Promise.all(connections.splice(0).map((connection) => connection.stop()));
    await Promise.all(clients.splice(0).map((client) => client.stop()));
  });
  after(async () => {
    for (const node of nodes) await node.dispose();
    await deleteKeys(SHARED_REDIS_URL, prefix);
  });

  async function terminal(node: HubProcess, token: string, handlers: Parameters<typeof terminalConnection>[2] = {}): Promise<HubConnection> {
    const connection = await terminalConnection(node.baseUrl, token, handlers);
    connections.push(connection);
    return connection;
  }

  async function subscriber(node: HubProcess, token: string, topics: string[]): Promise<TradeClient> {
    const client = await TradeClient.connect(node.tradeHubUrl, token);
    clients.push(client);
    await client.subscribe(topics);
    return client;
  }

  async function newTerminalToken(): Promise<{ id: string; token: string }> {
    const response = await api.request('POST', '/api/tokens', { token: admin, json: { name: 'EA on VPS', platform: 'demo', login: '1001' } });
    assert.equal(response.status, 201, response.text);
    return { id: response.body.id as string, token: api.remember(response.body.token as string) };
  }

  it('forwards order_send from /rpc and the trade hub on one node to the terminal on the other; its events reach every subscriber in order', async () => {
    const { token } = await newTerminalToken();
    const watchers = [await subscriber(A, reader, [ACCOUNT, STATUS]), await subscriber(B, reader, [ACCOUNT, STATUS])];
    let ticket = 5_000;
    const received: unknown[] = [];
    const eaConnection: { current?: HubConnection } = {};
    eaConnection.current = await terminal(A, token, {
      OrderSend: async (request: OrderSendRequest) => {
        received.push(request);
        ticket += 10;
        // The EA publishes its account's events with the same token, then answers.
        await eaConnection.current?.invoke('Publish', fillEvents(ticket, 1.1));
        return filledResult(ticket, request.volume, 1.1);
      },
    });
    for (const watcher of watchers) {
      await waitUntil(() => terminalStatuses(watcher).some((status) => status.state === 'online' && status.login === '1001'), 'terminal.status online on both nodes');
    }
    const online = terminalStatuses(watchers[1] as TradeClient).find((status) => status.state === 'online');
    assert.equal(online?.name, 'EA on VPS');
    assert.ok(online?.tokenId?.startsWith('tt_'));
    const presence = await rpc(B.baseUrl, reader, 'get_terminal_status', { platform: 'demo', login: '1001' });
    assert.deepEqual({ ...(presence.body?.result as object), since: 0 }, { online: true, name: 'EA on VPS', node: online?.node, since: 0 });

    const answer = await rpc(B.baseUrl, token, 'order_send', { platform: 'demo', login: '1001', ...ORDER });
    assert.equal(answer.status, 200);
    assert.deepEqual({ ...(answer.body?.result as object), time: 0 }, { ...filledResult(5_010, 10_000, 1.1), time: 0 });
    assert.deepEqual(received, [ORDER]);

    const external = await TradeClient.connect(B.tradeHubUrl, token);
    clients.push(external);
    const viaHub = await external.connection.invoke('OrderSend', 'demo', '1001', { ...ORDER, volume: 20_000 }) as { order: string; volume: number };
    assert.equal(viaHub.order, '5020');
    assert.equal(viaHub.volume, 20_000);

    for (const watcher of watchers) {
      const events = await watcher.waitForEvents(8, ACCOUNT);
      assert.deepEqual(events.map((envelope: TradeEnvelope) => envelope.type), ['order', 'deal', 'position', 'account', 'order', 'deal', 'position', 'account']);
      const seqs = events.map((envelope) => envelope.seq);
      assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y));
    }

    await eaConnection.current.stop();
    for (const watcher of watchers) {
      await waitUntil(() => terminalStatuses(watcher).some((status) => status.state === 'offline'), 'terminal.status offline on both nodes');
    }
    const gone = await rpc(A.baseUrl, reader, 'get_terminal_status', { platform: 'demo', login: '1001' });
    assert.deepEqual(gone.body?.result, { online: false, name: null, node: null, since: null });
  });

  it('answers at once with a clear error when the terminal is offline', async () => {
    const { token } = await newTerminalToken();
    const started = Date.now();
    const answer = await rpc(B.baseUrl, token, 'order_send', { platform: 'demo', login: '1001', ...ORDER });
    assert.equal(answer.body?.error?.code, JsonRpcErrorCode.TerminalOffline);
    assert.match(answer.body?.error?.message ?? '', /offline/);
    assert.ok(Date.now() - started < 1_000);
    const external = await TradeClient.connect(A.tradeHubUrl, token);
    clients.push(external);
    await assert.rejects(external.connection.invoke('OrderSend', 'demo', '1001', ORDER), /offline/);
  });

  it('refuses requests for another login, from tokens that are not terminal tokens, and forged terminal.status', async () => {
    const { token } = await newTerminalToken();
    await terminal(A, token, { OrderSend: () => filledResult(1, 1, 1) });
    const other = await rpc(B.baseUrl, token, 'order_send', { platform: 'demo', login: '1002', ...ORDER });
    assert.equal(other.body?.error?.code, JsonRpcErrorCode.Forbidden);
    const publisher = await api.clientToken('demo-publisher', 'demo-publisher-secret');
    const notTerminal = await rpc(B.baseUrl, publisher, 'order_send', { platform: 'demo', login: '1001', ...ORDER });
    assert.equal(notTerminal.body?.error?.code, JsonRpcErrorCode.Forbidden);
    const negotiate = await fetch(`${A.baseUrl}/hubs/terminal/negotiate?negotiateVersion=1`, { method: 'POST', headers: { authorization: `Bearer ${publisher}` } });
    assert.equal(negotiate.status, 403);

    const forged = { type: 'terminal.status', platformId: 'demo', data: { state: 'online', platform: 'demo', login: '1001', name: 'x', tokenId: null, node: 'n', time: Date.now() } };
    const publishing = await TradeClient.connect(B.tradeHubUrl, publisher);
    clients.push(publishing);
    await assert.rejects(publishing.publish([forged]), /terminal\.status.*terminal hub only/);
    const rest = await api.request('POST', '/api/platforms/demo/events', { token: publisher, json: { events: [{ type: forged.type, data: forged.data }] } });
    assert.equal(rest.status, 403, rest.text);
  });

  it('lets a newer connection of the token replace the older one, on another node, which is closed without reconnecting', async () => {
    const { token } = await newTerminalToken();
    const watcher = await subscriber(B, reader, [STATUS]);
    const older = await terminal(A, token, { OrderSend: () => filledResult(100, 1, 1) });
    const olderClosed = nextClose(older);
    const newer = await terminal(B, token, { OrderSend: () => filledResult(200, 1, 1) });
    const error = await olderClosed;
    assert.match(String(error), /replaced this one/);
    assert.equal(older.state, HubConnectionState.Disconnected);
    const answer = await rpc(A.baseUrl, token, 'order_send', { platform: 'demo', login: '1001', ...ORDER });
    assert.equal((answer.body?.result as { order: string }).order, '200');
    // Replaced, not offline: the account's terminal stayed online throughout.
    await waitUntil(() => terminalStatuses(watcher).filter((status) => status.state === 'online').length === 2, 'two online statuses');
    assert.equal(terminalStatuses(watcher).filter((status) => status.state === 'offline').length, 0);
    assert.equal(newer.state, HubConnectionState.Connected);
  });

  it('drops the terminal offline and closes both sides within 1 s when its token is revoked', async () => {
    const { id, token } = await newTerminalToken();
    const watcher = await subscriber(B, reader, [STATUS]);
    const ea = await terminal(A, token, { OrderSend: () => filledResult(1, 1, 1) });
    const external = await TradeClient.connect(B.tradeHubUrl, token);
    clients.push(external);
    await waitUntil(() => terminalStatuses(watcher).some((status) => status.tokenId === id && status.state === 'online'), 'online');
    const closes = [nextClose(ea), nextClose(external.connection)];
    const started = Date.now();
    const revoked = await api.request('DELETE', `/api/tokens/${id}`, { token: admin });
    assert.equal(revoked.status, 200, revoked.text);
    await Promise.all(closes);
    await waitUntil(() => terminalStatuses(watcher).some((status) => status.tokenId === id && status.state === 'offline'), 'offline', 1_000);
    assert.ok(Date.now() - started < 1_000, `took ${Date.now() - started} ms`);
  });
});
