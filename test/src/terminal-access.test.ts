import assert from 'node:assert/strict';
import type { HubConnection } from '@microsoft/signalr';
import { JsonRpcErrorCode, Topics, type OrderSendRequest, type TerminalOfflineReason, type TerminalStatus } from '@tradehub/shared';
import { closure } from './support/auth-helpers.js';
import { HubProcess } from './support/hub-process.js';
import { ApiClient } from './support/http-api.js';
import { deleteKeys, SHARED_REDIS_URL } from './support/redis-server.js';
import { filledResult, rpc, terminalConnection } from './support/terminal-helpers.js';
import { TradeClient } from './support/trade-helpers.js';
import { uniqueKeyPrefix } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';
import { WsRpcClient } from './support/ws-rpc-client.js';

const LOGIN = '1001';
const STATUS = Topics.status('demo');
const ORDER: OrderSendRequest = { symbol: 'EURUSD', type: 'buy', volume: 10_000 };
const ACCOUNT_PARAMS = { platform: 'demo', login: LOGIN };

/**
 * The Done-when: one terminal token bound to a device, used by the terminal on node A
 * and by an external client on node B (trade hub and `/ws`); revoking the device or disabling
 * the account cuts both sides off within 1 s, the terminal goes offline everywhere, and
 * switching back on lets the same token work again.
 */
describe('terminal gateway: lost access cuts off the terminal and its clients on two node processes', function () {
  this.timeout(30_000);
  const prefix = uniqueKeyPrefix();
  let A: HubProcess;
  let B: HubProcess;
  let api: ApiClient;
  let admin: string;
  let reader: string;
  let watcher: TradeClient;
  const open: Array<{ stop(): Promise<void> | void }> = [];

  before(async () => {
    const env = { REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: prefix };
    [A, B] = await Promise.all([HubProcess.start(env), HubProcess.start(env)]);
    api = new ApiClient(A.baseUrl);
    admin = await api.clientToken('demo-admin', 'demo-admin-secret');
    reader = await api.clientToken('demo-reader', 'demo-reader-secret');
    watcher = await TradeClient.connect(B.tradeHubUrl, reader);
    await watcher.subscribe([STATUS]);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((connection) => connection.stop()));
  });
  after(async () => {
    await watcher?.stop();
    for (const node of [A, B]) await node?.dispose();
    await deleteKeys(SHARED_REDIS_URL, prefix);
  });

  async function newToken(json: Record<string, unknown> = {}): Promise<{ id: string; token: string }> {
    const response = await api.request('POST', '/api/tokens', { token: admin, json: { name: 'EA on VPS', platform: 'demo', login: LOGIN, ...json } });
    assert.equal(response.status, 201, response.text);
    return { id: response.body.id as string, token: api.remember(response.body.token as string) };
  }

  async function boundToken(device: string): Promise<string> {
    return (await newToken({ device })).token;
  }

  /** Both sides of one token: the terminal on A; the trade hub and a `/ws` socket on B, each telling its device. */
  async function bothSides(token: string, device: string): Promise<{ terminal: HubConnection; hub: TradeClient; ws: WsRpcClient }> {
    const connecting = statusesSince(0).length;
    // The official client keeps the hub URL's query on negotiate and on the WebSocket.
    const terminal = await terminalConnection(A.baseUrl, token, { OrderSend: (request: OrderSendRequest) => filledResult(7_000, request.volume, 1.2) }, `?device_id=${encodeURIComponent(device)}`);
    // The trade hub side tells it with the header instead: the official client sends it on negotiate and the WebSocket.
    const hub = await TradeClient.connect(B.tradeHubUrl, token, { headers: { 'X-Device-Id': device } });
    const ws = await WsRpcClient.connect(B.baseUrl, token, { inQuery: true, wsOptions: { headers: { 'X-Device-Id': device } } });
    open.push(terminal, hub, { stop: () => ws.close() });
    await waitUntil(() => statusesSince(connecting).some((status) => status.state === 'online'), 'terminal.status online');
    return { terminal, hub, ws };
  }

  /** The watcher's `terminal.status` events after the first `mark` of them (an earlier test's may still arrive late). */
  function statusesSince(mark: number): TerminalStatus[] {
    return watcher.eventsOf(STATUS).flatMap((envelope) => envelope.type === 'terminal.status' ? [envelope.data] : []).slice(mark);
  }

  /** Runs `action`, then asserts that all three sides closed within 1 s of its start, naming `reason`. */
  async function assertCutOff(sides: { terminal: HubConnection; hub: TradeClient; ws: WsRpcClient }, reason: string, action: () => Promise<void>): Promise<void> {
    const closures = [closure(sides.terminal, 3_000), closure(sides.hub.connection, 3_000)];
    const started = Date.now();
    await action();
    const [terminalClosed, hubClosed] = await Promise.all(closures);
    const wsClosed = await sides.ws.closed(3_000);
    for (const [side, at] of [['terminal', terminalClosed?.at], ['trade hub', hubClosed?.at], ['/ws', wsClosed.at]] as const) {
      assert.ok((at as number) - started < 1_000, `${side} closed after ${(at as number) - started} ms`);
    }
    assert.match(String(terminalClosed?.error), new RegExp(reason));
    assert.match(String(hubClosed?.error), new RegExp(reason));
    assert.deepEqual({ code: wsClosed.code, reason: wsClosed.reason }, { code: 4003, reason });
  }

  async function assertOffline(mark: number, reason: TerminalOfflineReason): Promise<void> {
    const offline = (): TerminalStatus | undefined => statusesSince(mark).find((status) => status.state === 'offline');
    await waitUntil(() => offline() !== undefined, 'terminal.status offline', 1_000);
    assert.equal(offline()?.reason, reason);
    const status = await rpc(B.baseUrl, reader, 'get_terminal_status', ACCOUNT_PARAMS);
    assert.deepEqual(status.body?.result, { online: false, name: null, node: null, since: null });
  }

  /** The same token, on the same device, works on both sides again. */
  async function assertWorksAgain(token: string, device: string): Promise<void> {
    const sides = await bothSides(token, device);
    const answer = await sides.ws.request('order_send', { ...ACCOUNT_PARAMS, ...ORDER });
    assert.equal(answer.result?.order, '7000', JSON.stringify(answer));
    const viaHub = await sides.hub.connection.invoke('OrderSend', 'demo', LOGIN, ORDER) as { order: string };
    assert.equal(viaHub.order, '7000');
  }

  it('revoking the device closes the terminal and both client sockets within 1 s; the terminal is offline at once; approving it again restores the token', async () => {
    const device = 'vps-1';
    const token = await boundToken(device);
    const unbound = await api.terminalToken(admin, 'demo', LOGIN);
    const sides = await bothSides(token, device);
    assert.equal((await sides.ws.request('order_send', { ...ACCOUNT_PARAMS, ...ORDER })).result?.order, '7000');

    const mark = statusesSince(0).length;
    await assertCutOff(sides, 'device revoked', async () => {
      const revoked = await api.request('POST', `/api/devices/${device}/revoke`, { token: admin });
      assert.equal(revoked.status, 200, revoked.text);
    });
    await assertOffline(mark, 'device revoked');
    // Another terminal token of the account (not bound to the device) is answered "offline" at once.
    const started = Date.now();
    const offline = await rpc(B.baseUrl, unbound, 'order_send', { ...ACCOUNT_PARAMS, ...ORDER });
    assert.equal(offline.body?.error?.code, JsonRpcErrorCode.TerminalOffline);
    assert.ok(Date.now() - started < 500, `answered after ${Date.now() - started} ms`);
    // The bound token itself is refused on both nodes while the device is revoked.
    const refused = await rpc(A.baseUrl, token, 'get_terminal_status', ACCOUNT_PARAMS, 1, { 'X-Device-Id': device });
    assert.equal(refused.status, 401);
    await assert.rejects(terminalConnection(B.baseUrl, token, {}, `?device_id=${device}`), /401/);

    assert.equal((await api.request('POST', `/api/devices/${device}/approve`, { token: admin })).status, 200);
    await assertWorksAgain(token, device);
  });

  it('disabling the account closes the terminal and both client sockets within 1 s; the terminal is offline at once; enabling it again restores the token', async () => {
    const device = 'vps-2';
    const token = await boundToken(device);
    const sides = await bothSides(token, device);

    const mark = statusesSince(0).length;
    await assertCutOff(sides, 'account disabled', async () => {
      const disabled = await api.request('PUT', `/api/accounts/demo/${LOGIN}`, { token: admin, json: { disabled: true } });
      assert.equal(disabled.status, 200, disabled.text);
    });
    await assertOffline(mark, 'account disabled');
    const refused = await rpc(B.baseUrl, token, 'order_send', { ...ACCOUNT_PARAMS, ...ORDER }, 1, { 'X-Device-Id': device });
    assert.equal(refused.status, 401);

    const enabled = await api.request('PUT', `/api/accounts/demo/${LOGIN}`, { token: admin, json: { disabled: false } });
    assert.equal(enabled.status, 200, enabled.text);
    await assertWorksAgain(token, device);
  });

  it('says in the offline event why the terminal went offline: disconnected, revoked, replaced, token expired', async () => {
    const offlineAfter = async (reason: TerminalOfflineReason, token: string, action: (terminal: HubConnection) => Promise<unknown>): Promise<void> => {
      const connecting = statusesSince(0).length;
      const terminal = await terminalConnection(A.baseUrl, token);
      open.push(terminal);
      await waitUntil(() => statusesSince(connecting).some((status) => status.state === 'online'), 'terminal.status online');
      const mark = statusesSince(0).length;
      await action(terminal);
      await waitUntil(() => statusesSince(mark).some((status) => status.state === 'offline'), `terminal.status offline (${reason})`, 3_000);
      assert.equal(statusesSince(mark).find((status) => status.state === 'offline')?.reason, reason);
    };
    const first = await newToken();
    await offlineAfter('disconnected', first.token, (terminal) => terminal.stop());
    await offlineAfter('replaced', first.token, () => api.request('POST', `/api/tokens/${first.id}/replace`, { token: admin }));
    const second = await newToken();
    await offlineAfter('revoked', second.token, () => api.request('DELETE', `/api/tokens/${second.id}`, { token: admin }));
    const shortLived = await newToken({ expiresInSeconds: 1 });
    await offlineAfter('token expired', shortLived.token, async () => undefined);
  });
});
