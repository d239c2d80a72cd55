import assert from 'node:assert/strict';
import { HubConnectionBuilder, HubConnectionState, LogLevel, type HubConnection } from '@microsoft/signalr';
import { officialClient } from './support/official-client.js';
import { startInteropServer, type RunningInteropServer } from './support/interop-server.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { waitUntil } from './support/wait.js';

describe('stateful reconnect with the official client', function () {
  this.timeout(20_000);
  let server: RunningInteropServer;
  let proxy: TcpProxy;
  const open: HubConnection[] = [];
  before(async () => {
    server = await startInteropServer({ allowStatefulReconnects: true, statefulReconnectWindowMs: 3_000 });
  });
  beforeEach(async () => {
    proxy = await TcpProxy.start(server.port);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((connection) => connection.stop()));
    await proxy.close();
  });
  after(async () => {
    await server.close();
  });

  function statefulClient(): HubConnection {
    const connection = new HubConnectionBuilder()
      .withUrl(`http://127.0.0.1:${proxy.port}/testhub`)
      .withStatefulReconnect()
      .configureLogging(LogLevel.None)
      .build();
    open.push(connection);
    return connection;
  }

  it('a dropped WebSocket loses no message: the same connection resumes, with its groups, each message once', async () => {
    const client = statefulClient();
    const received: string[] = [];
    client.on('GroupMessage', (_group: string, text: string) => received.push(text));
    let closed = false;
    client.onclose(() => {
      closed = true;
    });
    await client.start();
    const idBefore = client.connectionId;
    await client.invoke('JoinGroup', 'kept');
    const sender = officialClient(server.hubUrl);
    open.push(sender);
    await sender.start();

    for (let i = 0; i < 50; i++) await sender.invoke('SendToGroup', 'kept', `m${i}`);
    const acceptedBeforeCut = proxy.accepted;
    proxy.cut();
    // Sent while the client has no transport: kept by the server and sent again.
    for (let i = 50; i < 100; i++) await sender.invoke('SendToGroup', 'kept', `m${i}`);

    await waitUntil(() => received.length >= 100, '100 group messages', 8_000);
    assert.deepEqual(received, Array.from({ length: 100 }, (_, i) => `m${i}`));
    assert.ok(proxy.accepted > acceptedBeforeCut, 'the client came back on a new transport');
    assert.equal(closed, false);
    assert.equal(client.state, HubConnectionState.Connected);
    assert.equal(client.connectionId, idBefore);
    assert.equal(await client.invoke('GetConnectionId'), idBefore);
    // Invocations work after the resume, and their completions are not confused with old ones.
    assert.equal(await client.invoke('Add', 2, 3), 5);
  });

  it('invocations sent while the transport drops are answered once', async () => {
    const client = statefulClient();
    await client.start();
    const calls = Array.from({ length: 20 }, (_, i) => client.invoke('Echo', i));
    proxy.cut();
    assert.deepEqual(await Promise.all(calls), Array.from({ length: 20 }, (_, i) => i));
    assert.equal(await client.invoke('Echo', 'after'), 'after');
  });

  it('a client that stops ends its connection at once: a close frame is no drop', async () => {
    const client = statefulClient();
    await client.start();
    const connection = [...server.endpoint.connections.all()].find((candidate) => candidate.connectionId === client.connectionId);
    assert.ok(connection, 'the connection is known to the server');
    await client.stop();
    // Well inside the 3 s reconnect window: the stop ended the connection, not the window.
    await waitUntil(() => connection.state === 'closed', 'the server to end the connection', 1_000);
  });

  it('a connection whose client does not come back within the window ends for good', async () => {
    const client = statefulClient();
    await client.start();
    const token = [...server.endpoint.connections.all()].find((connection) => connection.connectionId === client.connectionId);
    assert.ok(token, 'the connection is known to the server');
    const droppedAt = Date.now();
    await proxy.close();
    await waitUntil(() => token.state === 'closed', 'the end of the reconnect window', 10_000);
    const waited = Date.now() - droppedAt;
    assert.ok(waited >= 2_500, `ended after ${waited} ms, before the 3 s window was over`);
  });
});
