import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { HubConnectionState, type HubConnection } from '@microsoft/signalr';
import { HubHost, interopHub } from '@tradehub/server';
import { INTEROP_HUB_PATH, TRADE_HUB_PATH, type ServerInfo } from '@tradehub/shared';
import { officialClient, PingCountingJsonProtocol, type ClientOptions } from './support/official-client.js';
import { waitUntil } from './support/wait.js';
import { startInteropServer, useInteropServer, type RunningInteropServer } from './support/interop-server.js';
import { clientToken } from './support/tradehub-app.js';
import {
  CallRecorder, CliProcess, ConnectionPool, closeOf, freePort, reconnectedOf, reconnectingOf, rejectionOf, within,
} from './support/interop-fixtures.js';

/** Repository root: this file runs as test/dist/interop.test.js. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const unexpected = (method: string): string => `An unexpected error occurred invoking '${method}' on the server.`;
const bindingFailed = (method: string): string => `Failed to invoke '${method}' due to an error on the server.`;
const BINDING_TYPES = 'Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked.';
const INVOCATION_CANCELED = 'Invocation canceled due to the underlying connection being closed.';

describe('interop hub: every method with the official client', () => {
  const fixture = useInteropServer();
  const { pool } = fixture;
  const connect = (options: ClientOptions = {}): Promise<HubConnection> => fixture.connect(options);

  it('Echo returns objects, arrays, null, strings and numbers unchanged', async () => {
    const connection = await connect();
    const nested = { a: 1, b: 'two', c: [true, false, null], d: { e: { f: [1.5, -2, 'x'] } } };
    assert.deepEqual(await connection.invoke('Echo', nested), nested);
    assert.deepEqual(await connection.invoke('Echo', [1, 'two', null, { three: 3 }, [4]]), [1, 'two', null, { three: 3 }, [4]]);
    assert.deepEqual(await connection.invoke('Echo', []), []);
    assert.deepEqual(await connection.invoke('Echo', {}), {});
    assert.equal(await connection.invoke('Echo', null), null);
    assert.equal(await connection.invoke('Echo', 'hello'), 'hello');
    assert.equal(await connection.invoke('Echo', ''), '');
    assert.equal(await connection.invoke('Echo', true), true);
    assert.equal(await connection.invoke('Echo', false), false);
    for (const value of [0, 42, -7, 3.25, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e300, 5e-324]) {
      assert.equal(await connection.invoke('Echo', value), value, `Echo(${value})`);
    }
  });

  it('Echo keeps strings with control characters, record separators, quotes and non-ASCII intact', async () => {
    const connection = await connect();
    const tricky = 'rs:\u001e nul:\u0000 quote:" backslash:\\ newline:\n tab:\t emoji:\u{1F4C8} cjk:\u6301\u4ed3 bidi:\u202e';
    assert.equal(await connection.invoke('Echo', tricky), tricky);
    assert.deepEqual(await connection.invoke('Echo', { [tricky]: tricky }), { [tricky]: tricky });
    // Well within the default 32 KiB receive limit, but larger than one small TCP read.
    const large = 'x'.repeat(20_000) + '\u00e9'.repeat(2_000);
    assert.equal(await connection.invoke('Echo', large), large);
  });

  it('EchoMany returns its arguments as an array: none, one, many', async () => {
    const connection = await connect();
    assert.deepEqual(await connection.invoke('EchoMany'), []);
    assert.deepEqual(await connection.invoke('EchoMany', 'one'), ['one']);
    assert.deepEqual(await connection.invoke('EchoMany', null), [null]);
    assert.deepEqual(
      await connection.invoke('EchoMany', 1, 'two', null, [3], { four: 4 }, false),
      [1, 'two', null, [3], { four: 4 }, false],
    );
    const fifty = Array.from({ length: 50 }, (_, index) => index);
    assert.deepEqual(await connection.invoke('EchoMany', ...fifty), fifty);
  });

  it('InvokeWithString sends Message(text) to the caller only', async () => {
    const caller = await connect();
    const other = await connect();
    const callerMessages = new CallRecorder(caller, 'Message');
    const otherMessages = new CallRecorder(other, 'Message');

    assert.equal(await caller.invoke('InvokeWithString', 'just for me'), undefined);
    await callerMessages.waitForArgs(['just for me']);
    assert.deepEqual(callerMessages.calls, [['just for me']]);

    // A later broadcast reaches `other`: had it been sent the caller's message, that would have come first.
    await caller.invoke('SendToAll', 'marker');
    await otherMessages.waitForArgs(['marker']);
    assert.deepEqual(otherMessages.calls, [['marker']]);
    await callerMessages.waitForArgs(['marker']);
    assert.deepEqual(callerMessages.calls, [['just for me'], ['marker']]);
  });

  it('SendToAll sends Message(text) to every connected client, the sender included', async () => {
    const first = await connect();
    const second = await connect();
    const firstMessages = new CallRecorder(first, 'Message');
    const secondMessages = new CallRecorder(second, 'Message');

    assert.equal(await first.invoke('SendToAll', 'to everyone'), undefined);
    await Promise.all([firstMessages.waitForArgs(['to everyone']), secondMessages.waitForArgs(['to everyone'])]);
    assert.deepEqual(firstMessages.calls, [['to everyone']]);
    assert.deepEqual(secondMessages.calls, [['to everyone']]);
  });

  it('SendToGroup reaches group members only, and no longer reaches a connection after LeaveGroup', async () => {
    const member = await connect();
    const otherMember = await connect();
    const outsider = await connect();
    const memberGroup = new CallRecorder(member, 'GroupMessage');
    const otherMemberGroup = new CallRecorder(otherMember, 'GroupMessage');
    const outsiderGroup = new CallRecorder(outsider, 'GroupMessage');
    const memberMessages = new CallRecorder(member, 'Message');
    const outsiderMessages = new CallRecorder(outsider, 'Message');
    const group = `g-${Math.random().toString(36).slice(2)}`;

    assert.equal(await member.invoke('JoinGroup', group), undefined);
    await otherMember.invoke('JoinGroup', group);
    // Joining twice is the same as joining once: one message per send.
    await otherMember.invoke('JoinGroup', group);

    // The sender need not be a member.
    assert.equal(await outsider.invoke('SendToGroup', group, 'first'), undefined);
    await memberGroup.waitForArgs([group, 'first']);
    await otherMemberGroup.waitForArgs([group, 'first']);

    // The outsider got nothing: a broadcast sent after the group message arrives with nothing before it.
    await member.invoke('SendToAll', 'marker-1');
    await outsiderMessages.waitForArgs(['marker-1']);
    assert.deepEqual(outsiderGroup.calls, []);

    assert.equal(await member.invoke('LeaveGroup', group), undefined);
    await outsider.invoke('SendToGroup', group, 'second');
    // The send did happen: the remaining member gets it...
    await otherMemberGroup.waitForArgs([group, 'second']);
    // ...but the member who left does not: a later broadcast arrives and nothing came before it.
    await outsider.invoke('SendToAll', 'marker-2');
    await memberMessages.waitForArgs(['marker-2']);
    assert.deepEqual(memberGroup.calls, [[group, 'first']]);
    assert.deepEqual(otherMemberGroup.calls, [[group, 'first'], [group, 'second']]);
    assert.deepEqual(outsiderGroup.calls, []);
  });

  it('group names are case-sensitive, and leaving a group one never joined is harmless', async () => {
    const connection = await connect();
    const groupMessages = new CallRecorder(connection, 'GroupMessage');
    const messages = new CallRecorder(connection, 'Message');
    assert.equal(await connection.invoke('LeaveGroup', 'never-joined'), undefined);
    await connection.invoke('JoinGroup', 'CaseGroup');
    await connection.invoke('SendToGroup', 'casegroup', 'wrong case');
    await connection.invoke('SendToGroup', 'CaseGroup', 'right case');
    await groupMessages.waitForArgs(['CaseGroup', 'right case']);
    await connection.invoke('InvokeWithString', 'marker');
    await messages.waitForArgs(['marker']);
    assert.deepEqual(groupMessages.calls, [['CaseGroup', 'right case']]);
  });

  it('ThrowException reports a generic error that does not leak the message', async () => {
    const connection = await connect();
    const error = await rejectionOf(connection.invoke('ThrowException', 'secret detail'));
    assert.equal(error.message, "An unexpected error occurred invoking 'ThrowException' on the server.");
    assert.ok(!error.message.includes('secret detail'));
    // The connection survives a failing method.
    assert.equal(connection.state, HubConnectionState.Connected);
    assert.equal(await connection.invoke('Add', 1, 1), 2);
  });

  it('ThrowHubException reports the HubException message', async () => {
    const connection = await connect();
    const error = await rejectionOf(connection.invoke('ThrowHubException', 'told you so'));
    assert.equal(error.message, "An unexpected error occurred invoking 'ThrowHubException' on the server. HubException: told you so");
    assert.equal(connection.state, HubConnectionState.Connected);
  });

  it('GetConnectionId returns the id the client negotiated, distinct per connection', async () => {
    const first = await connect();
    const second = await connect();
    const firstId = await first.invoke('GetConnectionId');
    const secondId = await second.invoke('GetConnectionId');
    assert.equal(typeof firstId, 'string');
    assert.equal(firstId, first.connectionId);
    assert.equal(secondId, second.connectionId);
    assert.notEqual(firstId, secondId);
  });

  it("GetActiveTransportName is 'WebSockets'", async () => {
    const connection = await connect();
    assert.equal(await connection.invoke('GetActiveTransportName'), 'WebSockets');
  });

  it('GetActiveTransportName is also WebSockets when negotiation is skipped', async () => {
    const connection = await connect({ skipNegotiation: true });
    assert.equal(await connection.invoke('GetActiveTransportName'), 'WebSockets');
    assert.equal(typeof await connection.invoke('GetConnectionId'), 'string');
  });

  it('Add adds two numbers', async () => {
    const connection = await connect();
    assert.equal(await connection.invoke('Add', 2, 3), 5);
    assert.equal(await connection.invoke('Add', -10, 4), -6);
    assert.equal(await connection.invoke('Add', 0, 0), 0);
  });

  it('Delay(ms) completes no earlier than ms later, without holding up other connections', async () => {
    const delayed = await connect();
    const other = await connect();
    const ms = 300;
    const started = performance.now();
    let otherFinishedAt = Number.POSITIVE_INFINITY;
    const [result] = await Promise.all([
      delayed.invoke('Delay', ms),
      (async () => {
        assert.equal(await other.invoke('Add', 20, 22), 42);
        otherFinishedAt = performance.now() - started;
      })(),
    ]);
    const elapsed = performance.now() - started;
    assert.equal(result, undefined);
    // One millisecond of slack: Node's timers round to whole milliseconds.
    assert.ok(elapsed >= ms - 1, `Delay(${ms}) completed after ${elapsed.toFixed(1)} ms`);
    assert.ok(elapsed < ms + 2_000, `Delay(${ms}) took ${elapsed.toFixed(1)} ms`);
    assert.ok(otherFinishedAt < ms, `another connection's call waited for the Delay (${otherFinishedAt.toFixed(1)} ms)`);
    assert.equal(await delayed.invoke('Delay', 0), undefined);
  });

  it('Delay rejects a wait above 10000 ms with the binding error', async () => {
    const connection = await connect();
    const tooLong = await rejectionOf(connection.invoke('Delay', 10_001));
    assert.equal(
      tooLong.message,
      `${bindingFailed('Delay')} InvalidDataException: ${BINDING_TYPES} Argument 1: Too big: expected number to be <=10000.`,
    );
    const negative = await rejectionOf(connection.invoke('Delay', -1));
    assert.equal(
      negative.message,
      `${bindingFailed('Delay')} InvalidDataException: ${BINDING_TYPES} Argument 1: Too small: expected number to be >=0.`,
    );
    // Nothing was waited for: the connection answers at once.
    const started = performance.now();
    assert.equal(await connection.invoke('Add', 1, 2), 3);
    assert.ok(performance.now() - started < 1_000);
  });

  it("Abort closes the caller's connection: the pending invocation rejects and onclose fires", async () => {
    const victim = await connect();
    const bystander = await connect();
    const closed = closeOf(victim);
    const error = await within(rejectionOf(victim.invoke('Abort')), 5_000, 'Abort invocation to settle');
    assert.equal(error.message, INVOCATION_CANCELED);
    // The server ends the connection with a Close message carrying no error.
    assert.equal(await within(closed, 5_000, 'onclose after Abort'), undefined);
    assert.equal(victim.state, HubConnectionState.Disconnected);
    // Other connections are not affected.
    assert.equal(await bystander.invoke('Echo', 'still here'), 'still here');
  });

  it('matches method names case-insensitively', async () => {
    const connection = await connect();
    assert.equal(await connection.invoke('echo', 'lower'), 'lower');
    assert.equal(await connection.invoke('ECHO', 'upper'), 'upper');
    assert.equal(await connection.invoke('eChO', 'mixed'), 'mixed');
    assert.equal(await connection.invoke('add', 1, 2), 3);
    assert.deepEqual(await connection.invoke('echomany', 1, 2), [1, 2]);
    assert.equal(await connection.invoke('getactivetransportname'), 'WebSockets');
  });

  it('rejects an unknown method with "Method does not exist."', async () => {
    const connection = await connect();
    const error = await rejectionOf(connection.invoke('Nope'));
    assert.equal(error.message, "Failed to invoke 'Nope' due to an error on the server. HubException: Method does not exist.");
    const withArgs = await rejectionOf(connection.invoke('Nope', 1, 'two'));
    assert.equal(withArgs.message, "Failed to invoke 'Nope' due to an error on the server. HubException: Method does not exist.");
    assert.equal(connection.state, HubConnectionState.Connected);
  });

  it('rejects a wrong number of arguments', async () => {
    const connection = await connect();
    const tooFew = await rejectionOf(connection.invoke('Add', 1));
    assert.equal(
      tooFew.message,
      "Failed to invoke 'Add' due to an error on the server. InvalidDataException: Invocation provides 1 argument(s) but target expects 2.",
    );
    const tooMany = await rejectionOf(connection.invoke('Add', 1, 2, 3));
    assert.equal(
      tooMany.message,
      "Failed to invoke 'Add' due to an error on the server. InvalidDataException: Invocation provides 3 argument(s) but target expects 2.",
    );
    const none = await rejectionOf(connection.invoke('Echo'));
    assert.equal(
      none.message,
      "Failed to invoke 'Echo' due to an error on the server. InvalidDataException: Invocation provides 0 argument(s) but target expects 1.",
    );
    assert.equal(connection.state, HubConnectionState.Connected);
  });

  it('rejects arguments of the wrong type', async () => {
    const connection = await connect();
    const error = await rejectionOf(connection.invoke('Add', 'one', 2));
    assert.ok(
      error.message.startsWith("Failed to invoke 'Add' due to an error on the server. InvalidDataException: Error binding arguments."),
      error.message,
    );
    assert.equal(error.message, `${bindingFailed('Add')} InvalidDataException: ${BINDING_TYPES} Argument 1: Invalid input: expected number, received string.`);
    const second = await rejectionOf(connection.invoke('Add', 1, null));
    assert.ok(second.message.startsWith(`${bindingFailed('Add')} InvalidDataException: Error binding arguments.`), second.message);
    assert.ok(second.message.endsWith(' Argument 2: Invalid input: expected number, received null.'), second.message);
    const notString = await rejectionOf(connection.invoke('InvokeWithString', 5));
    assert.ok(notString.message.startsWith(`${bindingFailed('InvokeWithString')} InvalidDataException: Error binding arguments.`), notString.message);
    assert.equal(connection.state, HubConnectionState.Connected);
  });

  it('fire-and-forget send runs the method', async () => {
    const sender = await connect();
    const receiver = await connect();
    const senderMessages = new CallRecorder(sender, 'Message');
    const receiverMessages = new CallRecorder(receiver, 'Message');
    assert.equal(await sender.send('SendToAll', 'sent, not invoked'), undefined);
    await Promise.all([senderMessages.waitForArgs(['sent, not invoked']), receiverMessages.waitForArgs(['sent, not invoked'])]);
    // A failing method called without an invocation id gets no answer and leaves the connection up.
    await sender.send('ThrowException', 'ignored');
    await sender.send('Nope');
    assert.equal(await sender.invoke('Echo', 'after'), 'after');
    assert.equal(sender.state, HubConnectionState.Connected);
  });

  it('refuses a streaming invocation of these non-streaming methods', async () => {
    const connection = await connect();
    const streamError = (method: string, ...args: unknown[]): Promise<Error> => new Promise((resolve, reject) => {
      connection.stream(method, ...args).subscribe({
        next: (item) => reject(new Error(`unexpected stream item ${JSON.stringify(item)}`)),
        complete: () => reject(new Error('stream completed without an error')),
        error: (error: unknown) => resolve(error instanceof Error ? error : new Error(String(error))),
      });
    });
    assert.equal(
      (await within(streamError('Echo', 'x'), 5_000, 'stream error')).message,
      "The client attempted to invoke the non-streaming 'Echo' method with a streaming invocation.",
    );
    assert.equal(
      (await within(streamError('Nope'), 5_000, 'stream error')).message,
      "Failed to invoke 'Nope' due to an error on the server. HubException: Method does not exist.",
    );
    assert.equal(await connection.invoke('Echo', 'still fine'), 'still fine');
  });

  it('closes the connection with an error when a message exceeds 32 KiB, counted in bytes', async () => {
    const connection = await connect();
    // 16,000 two-byte characters: 32,000 bytes plus the envelope, under 32,768.
    const underLimit = '\u00e9'.repeat(16_000);
    assert.equal(await connection.invoke('Echo', underLimit), underLimit);
    const closed = closeOf(connection);
    // 17,000 characters, but 34,000 bytes.
    const error = await within(rejectionOf(connection.invoke('Echo', '\u00e9'.repeat(17_000))), 5_000, 'oversized Echo');
    const expected = 'Server returned an error on close: Connection closed with an error. '
      + 'InvalidDataException: The maximum message size of 32768B was exceeded.';
    assert.equal(error.message, expected);
    const closeError = await within(closed, 5_000, 'onclose');
    assert.equal(closeError?.message, expected);
  });

  it('runs many concurrent invocations of one client, each with its own result', async () => {
    const connection = await connect();
    const calls = Array.from({ length: 20 }, (_, index) => connection.invoke('Add', index, index * 100));
    const results = await Promise.all(calls);
    assert.deepEqual(results, Array.from({ length: 20 }, (_, index) => index * 101));
    // Mixed methods, including failures, interleaved.
    const mixed = await Promise.allSettled([
      connection.invoke('Echo', 'a'),
      connection.invoke('ThrowHubException', 'b'),
      connection.invoke('EchoMany', 'c', 'd'),
      connection.invoke('Nope'),
      connection.invoke('Add', 5, 6),
    ]);
    assert.deepEqual(mixed.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : (outcome.reason as Error).message)), [
      'a',
      "An unexpected error occurred invoking 'ThrowHubException' on the server. HubException: b",
      ['c', 'd'],
      "Failed to invoke 'Nope' due to an error on the server. HubException: Method does not exist.",
      11,
    ]);
  });
});

describe('interop hub with detailed errors', () => {
  const fixture = useInteropServer({ detailedErrors: true });

  it('ThrowException reports the error type and message', async () => {
    const connection = await fixture.connect();
    const error = await rejectionOf(connection.invoke('ThrowException', 'the real reason'));
    assert.equal(error.message, `${unexpected('ThrowException')} InvalidOperationException: the real reason`);
    assert.ok(error.message.endsWith(' InvalidOperationException: the real reason'));
    const hubError = await rejectionOf(connection.invoke('ThrowHubException', 'for the client'));
    assert.equal(hubError.message, `${unexpected('ThrowHubException')} HubException: for the client`);
  });
});

describe('interop hub keep-alive and time-outs', () => {
  const servers: RunningInteropServer[] = [];
  const pool = new ConnectionPool();

  async function serverWith(options: Parameters<typeof startInteropServer>[0]): Promise<RunningInteropServer> {
    const server = await startInteropServer(options);
    servers.push(server);
    return server;
  }

  function client(url: string, serverTimeoutMs: number, keepAliveMs: number, protocol?: PingCountingJsonProtocol): HubConnection {
    const connection = pool.add(officialClient(url, protocol ? { protocol } : {}));
    connection.serverTimeoutInMilliseconds = serverTimeoutMs;
    connection.keepAliveIntervalInMilliseconds = keepAliveMs;
    return connection;
  }

  afterEach(async () => {
    await pool.stopAll();
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  it("stays connected through silence longer than its server time-out because the server's pings arrive", async () => {
    const server = await serverWith({ keepAliveIntervalMs: 100 });
    const protocol = new PingCountingJsonProtocol();
    const connection = client(server.hubUrl, 600, 200, protocol);
    let closedWith: Error | undefined | null = null;
    connection.onclose((error) => {
      closedWith = error;
    });
    await connection.start();
    const started = Date.now();
    // Pings are at least 100 ms apart: twelve of them span more than the client's 600 ms time-out.
    await waitUntil(() => protocol.pings >= 12 || closedWith !== null, 'twelve pings from the server');
    assert.ok(Date.now() - started >= 800, `twelve pings within ${Date.now() - started} ms`);
    assert.equal(closedWith, null, 'the client closed the connection');
    assert.equal(connection.state, HubConnectionState.Connected);
    assert.equal(await connection.invoke('Echo', 'alive'), 'alive');
  });

  it('times out on the client when the server pings too rarely (control)', async () => {
    const server = await serverWith({ keepAliveIntervalMs: 60_000 });
    const connection = client(server.hubUrl, 600, 200);
    const closed = closeOf(connection);
    await connection.start();
    const started = performance.now();
    const error = await within(closed, 5_000, 'client-side server time-out');
    const elapsed = performance.now() - started;
    assert.ok(error instanceof Error, 'onclose without an error');
    assert.match(error.message, /Server timeout/);
    assert.equal(error.message, 'Server timeout elapsed without receiving a message from the server.');
    assert.ok(elapsed >= 550, `timed out after only ${elapsed.toFixed(0)} ms`);
  });

  it("stays connected when the client's pings keep arriving within the server's client time-out", async () => {
    const server = await serverWith({ keepAliveIntervalMs: 100, clientTimeoutMs: 500 });
    const protocol = new PingCountingJsonProtocol();
    const connection = client(server.hubUrl, 5_000, 100, protocol);
    let closedWith: Error | undefined | null = null;
    connection.onclose((error) => {
      closedWith = error;
    });
    await connection.start();
    const started = Date.now();
    // The server's pings, at least 100 ms apart, are the clock: twelve span more than its 500 ms client time-out.
    await waitUntil(() => protocol.pings >= 12 || closedWith !== null, 'twelve pings from the server');
    assert.ok(Date.now() - started >= 800, `twelve pings within ${Date.now() - started} ms`);
    assert.equal(closedWith, null, 'the connection closed');
    assert.equal(await connection.invoke('Echo', 'alive'), 'alive');
  });

  it('is closed by the server with an error when the client sends nothing within the client time-out', async () => {
    const server = await serverWith({ keepAliveIntervalMs: 100, clientTimeoutMs: 400 });
    // The client would ping only every 10 s.
    const connection = client(server.hubUrl, 30_000, 10_000);
    const closed = closeOf(connection);
    await connection.start();
    const error = await within(closed, 5_000, 'server-side client time-out');
    assert.ok(error instanceof Error, 'onclose without an error');
    assert.equal(
      error.message,
      'Server returned an error on close: Client timeout (400ms) elapsed without receiving a message from the client.',
    );
  });
});

describe('interop hub graceful shutdown', () => {
  const servers: RunningInteropServer[] = [];
  const hosts: HubHost[] = [];
  const pool = new ConnectionPool();

  afterEach(async () => {
    await pool.stopAll();
    await Promise.all(servers.splice(0).map((server) => server.close()));
    await Promise.all(hosts.splice(0).map((host) => host.close()));
  });

  async function shutDown(server: RunningInteropServer): Promise<number> {
    const started = performance.now();
    await within(server.close(), 5_000, 'host.close()');
    return performance.now() - started;
  }

  it('a client with automatic reconnect starts reconnecting when the server shuts down', async () => {
    const server = await startInteropServer();
    servers.push(server);
    const connection = pool.add(officialClient(server.hubUrl, { automaticReconnect: true }));
    await connection.start();
    const reconnecting = reconnectingOf(connection);
    let closed = false;
    connection.onclose(() => {
      closed = true;
    });

    const closeTime = await shutDown(server);
    // The server told the client to go rather than cutting it off after the 2 s grace period.
    assert.ok(closeTime < 1_500, `host.close() took ${closeTime.toFixed(0)} ms`);
    assert.equal(await within(reconnecting, 5_000, 'onreconnecting'), undefined);
    assert.equal(closed, false, 'onclose fired although the client should reconnect');
    assert.equal(connection.state, HubConnectionState.Reconnecting);

    await within(connection.stop(), 5_000, 'stopping the reconnecting client');
    assert.equal(connection.state, HubConnectionState.Disconnected);
  });

  it('a client without automatic reconnect is closed without an error when the server shuts down', async () => {
    const server = await startInteropServer();
    servers.push(server);
    const connection = pool.add(officialClient(server.hubUrl));
    await connection.start();
    const closed = closeOf(connection);
    let reconnecting = false;
    connection.onreconnecting(() => {
      reconnecting = true;
    });

    const closeTime = await shutDown(server);
    assert.ok(closeTime < 1_500, `host.close() took ${closeTime.toFixed(0)} ms`);
    assert.equal(await within(closed, 5_000, 'onclose'), undefined);
    assert.equal(reconnecting, false);
    assert.equal(connection.state, HubConnectionState.Disconnected);
  });

  it('a reconnecting client comes back when a server is listening at the address again', async function () {
    this.timeout(10_000);
    const server = await startInteropServer();
    servers.push(server);
    const connection = pool.add(officialClient(server.hubUrl, { automaticReconnect: true }));
    await connection.start();
    const firstId = connection.connectionId;
    const reconnecting = reconnectingOf(connection);
    const reconnected = reconnectedOf(connection);

    await shutDown(server);
    await within(reconnecting, 5_000, 'onreconnecting');
    // A new node at the same address (the retry delays are 0, 200, 500 and 1000 ms).
    const replacement = new HubHost({ shutdownGraceMs: 2_000 });
    hosts.push(replacement);
    replacement.mapHub({ path: INTEROP_HUB_PATH, hub: interopHub() });
    await replacement.listen(server.port, '127.0.0.1');

    const newId = await within(reconnected, 5_000, 'onreconnected');
    assert.equal(connection.state, HubConnectionState.Connected);
    assert.equal(typeof newId, 'string');
    assert.notEqual(newId, firstId);
    assert.equal(await connection.invoke('GetConnectionId'), newId);
    assert.equal(await connection.invoke('Echo', 'back again'), 'back again');
  });
});

describe('CLI programs', () => {
  const children: CliProcess[] = [];
  const dataDirs: string[] = [];
  /** A data directory of the test's own, so that the main server leaves nothing in the repository. */
  const dataDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'tradehub-cli-'));
    dataDirs.push(dir);
    return dir;
  };
  const pool = new ConnectionPool();

  function run(script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): CliProcess {
    const path = join(ROOT, script);
    assert.ok(existsSync(path), `${path} does not exist; build first`);
    // Quiet logs keep stdout to the program's own lines.
    const child = CliProcess.start(path, args, { cwd: ROOT, env: { LOG_LEVEL: 'warn', ...env } });
    children.push(child);
    return child;
  }

  async function terminate(child: CliProcess): Promise<{ code: number | null; elapsed: number }> {
    const started = performance.now();
    assert.ok(child.child.kill('SIGTERM'), 'SIGTERM was not delivered');
    const status = await within(child.exited, 5_000, 'exit after SIGTERM');
    return { code: status.code, elapsed: performance.now() - started };
  }

  afterEach(async () => {
    await pool.stopAll();
    await Promise.all(children.splice(0).map((child) => child.kill()));
    for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('interop server: prints its hub URL, serves the official client, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const child = run('server/dist/cli/interop.js', ['--port', String(port)]);
    const [line, url] = await child.waitForLine(/(http:\/\/\S+\/testhub)\b/);
    assert.equal(url, `http://127.0.0.1:${port}/testhub`, line);

    const connection = pool.add(officialClient(url ?? ''));
    await connection.start();
    assert.deepEqual(await connection.invoke('Echo', { via: 'cli' }), { via: 'cli' });
    // Detailed errors are on by default, as on the ASP.NET test server.
    const thrown = await rejectionOf(connection.invoke('ThrowException', 'shown'));
    assert.equal(thrown.message, `${unexpected('ThrowException')} InvalidOperationException: shown`);

    // Still connected when the signal arrives: the client is told to go and the process ends.
    const closed = closeOf(connection);
    const { code, elapsed } = await terminate(child);
    assert.equal(code, 0, `exit code; stderr: ${child.stderr}`);
    assert.ok(elapsed < 5_000, `took ${elapsed.toFixed(0)} ms to exit`);
    assert.equal(await within(closed, 5_000, 'client onclose'), undefined);
  });

  it('interop server: still accepts --detailed-errors, the default', async () => {
    const port = await freePort();
    const child = run('server/dist/cli/interop.js', ['--port', String(port), '--detailed-errors']);
    const [, url] = await child.waitForLine(/(http:\/\/\S+\/testhub)\b/);
    const connection = pool.add(officialClient(url ?? ''));
    await connection.start();
    const thrown = await rejectionOf(connection.invoke('ThrowException', 'shown'));
    assert.equal(thrown.message, `${unexpected('ThrowException')} InvalidOperationException: shown`);
    await connection.stop();
    const { code } = await terminate(child);
    assert.equal(code, 0);
  });

  it('interop server: refuses a bad --port with exit code 2', async () => {
    const child = run('server/dist/cli/interop.js', ['--port', 'abc']);
    const status = await within(child.exited, 5_000, 'exit');
    assert.deepEqual(status, { code: 2, signal: null });
    assert.equal(child.stderr.trim(), "--port must be a TCP port number, not 'abc'.");
  });

  it('main server: GetServerInfo on the trade hub reports node id, version and time; exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const child = run('server/dist/cli/main.js', [], { PORT: String(port), TRADEHUB_DATA_DIR: dataDir() });
    const [, url] = await child.waitForLine(/trade hub:\s+(http:\/\/\S+)/);
    assert.equal(url, `http://127.0.0.1:${port}${TRADE_HUB_PATH}`);
    const version = (JSON.parse(readFileSync(join(ROOT, 'server/package.json'), 'utf8')) as { version: string }).version;
    // The demo credentials are printed at start, and the trade hub wants a token.
    await child.waitForLine(/client demo-reader \/ demo-reader-secret/);
    const token = await clientToken(`http://127.0.0.1:${port}`, 'demo-reader', 'demo-reader-secret');

    const connection = pool.add(officialClient(url ?? '', { accessTokenFactory: () => token }));
    await connection.start();
    const info = await connection.invoke<ServerInfo>('GetServerInfo');
    assert.equal(typeof info.nodeId, 'string');
    assert.ok(info.nodeId.length > 0, 'nodeId is empty');
    assert.equal(info.version, version);
    assert.equal(typeof info.serverTime, 'number');
    assert.ok(Math.abs(info.serverTime - Date.now()) < 5_000, `serverTime ${info.serverTime} is far from ${Date.now()}`);
    // The same node answers with the same id.
    assert.equal((await connection.invoke<ServerInfo>('GetServerInfo')).nodeId, info.nodeId);

    // The anonymous interop hub is not part of the product unless asked for.
    assert.doesNotMatch(child.stdoutLines.join('\n'), /interop hub:/);
    const interopAnswer = await fetch(`http://127.0.0.1:${port}${INTEROP_HUB_PATH}/negotiate?negotiateVersion=1`, { method: 'POST' });
    assert.equal(interopAnswer.status, 404);

    const { code, elapsed } = await terminate(child);
    assert.equal(code, 0, `exit code; stderr: ${child.stderr}`);
    assert.ok(elapsed < 5_000, `took ${elapsed.toFixed(0)} ms to exit`);
  });

  it('main server: TRADEHUB_INTEROP_HUB=on maps the interop hub', async () => {
    const port = await freePort();
    const child = run('server/dist/cli/main.js', [], { PORT: String(port), TRADEHUB_INTEROP_HUB: 'on', TRADEHUB_SIMULATOR: 'off', TRADEHUB_DATA_DIR: dataDir() });
    const [, interopUrl] = await child.waitForLine(/interop hub:\s+(http:\/\/\S+)/);
    assert.equal(interopUrl, `http://127.0.0.1:${port}${INTEROP_HUB_PATH}`);
    const interop = pool.add(officialClient(interopUrl ?? ''));
    await interop.start();
    assert.equal(await interop.invoke('Echo', 'main'), 'main');
    await interop.stop();
    const { code } = await terminate(child);
    assert.equal(code, 0);
  });

  it('main server: NODE_ID names the node', async () => {
    const port = await freePort();
    const child = run('server/dist/cli/main.js', [], { PORT: String(port), NODE_ID: 'node-under-test', TRADEHUB_DATA_DIR: dataDir() });
    const [, url] = await child.waitForLine(/trade hub:\s+(http:\/\/\S+)/);
    const token = await clientToken(`http://127.0.0.1:${port}`, 'demo-reader', 'demo-reader-secret');
    const connection = pool.add(officialClient(url ?? '', { accessTokenFactory: () => token }));
    await connection.start();
    assert.equal((await connection.invoke<ServerInfo>('GetServerInfo')).nodeId, 'node-under-test');
    await connection.stop();
    const { code } = await terminate(child);
    assert.equal(code, 0);
  });
});
