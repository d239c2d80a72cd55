import assert from 'node:assert/strict';
import { HttpTransportType, HubConnectionState } from '@microsoft/signalr';
import { officialClient, PingCountingJsonProtocol } from './support/official-client.js';
import { useInteropServer } from './support/interop-server.js';
import { PollRecorder } from './support/poll-recorder.js';
import { openRawLongPoll } from './support/protocol-helpers.js';
import { waitUntil } from './support/wait.js';

/**
 * Transport behaviour where tradehub must do what ASP.NET does for the official clients to work
 * as they do against it: long polling has no client time-out (the official client sends no pings
 * over it), and hub routes match in any letter case (ASP.NET's routing does; its own test server
 * redirects clients to `/testHub`).
 */
describe('conformance: long polling keeps no client time-out', function () {
  this.timeout(20_000);
  const CLIENT_TIMEOUT_MS = 300;
  const INACTIVITY_TIMEOUT_MS = 1_000;
  const fixture = useInteropServer(
    { clientTimeoutMs: CLIENT_TIMEOUT_MS, keepAliveIntervalMs: 100 },
    { longPollTimeoutMs: 200, longPollInactivityTimeoutMs: INACTIVITY_TIMEOUT_MS },
  );

  it('keeps a long-polling official client that sends nothing for many client time-outs, and sends it no pings', async () => {
    const polls = new PollRecorder();
    const protocol = new PingCountingJsonProtocol();
    const connection = fixture.pool.add(officialClient(fixture.server.hubUrl, { transport: HttpTransportType.LongPolling, httpClient: polls, protocol }));
    let closedWith: Error | undefined | null = null;
    connection.onclose((error) => {
      closedWith = error;
    });
    await connection.start();
    const started = Date.now();
    // Idle polls are each held for the 200 ms poll time-out: eight of them span over five client time-outs.
    await waitUntil(() => polls.polls.length >= 10 || closedWith !== null, 'eight idle polls', 10_000);
    assert.equal(closedWith, null, `closed by the server: ${String(closedWith)}`);
    assert.ok(Date.now() - started >= 4 * CLIENT_TIMEOUT_MS, `the idle polls took only ${Date.now() - started} ms`);
    assert.equal(connection.state, HubConnectionState.Connected);
    assert.equal(protocol.pings, 0, 'pings over long polling');
    assert.equal(await connection.invoke('Echo', 'still here'), 'still here');
  });

  it('still ends a long-polling connection whose client stopped polling, after the inactivity time-out', async () => {
    const { connectionToken, lastPollEndedAt } = await openRawLongPoll(fixture.server.hubUrl);
    await waitUntil(() => fixture.server.endpoint.connections.get(connectionToken) === undefined, 'the abandoned connection to end', 5_000);
    const idleMs = Date.now() - lastPollEndedAt;
    assert.ok(idleMs >= INACTIVITY_TIMEOUT_MS - 100, `ended after ${idleMs} ms: by the client time-out, not the inactivity time-out`);
    assert.equal(fixture.server.endpoint.handler.connectionCount, 0);
  });
});

describe('conformance: hub routes in any letter case', function () {
  this.timeout(20_000);
  const fixture = useInteropServer();

  // The hub is mapped at /testhub.
  const spellings = ['/testHub', '/TESTHUB', '/TestHub/'];
  const transports = [
    { name: 'WebSockets', type: HttpTransportType.WebSockets },
    { name: 'ServerSentEvents', type: HttpTransportType.ServerSentEvents },
    { name: 'LongPolling', type: HttpTransportType.LongPolling },
  ] as const;

  for (const transport of transports) {
    it(`negotiates and connects over ${transport.name} at ${spellings.join(', ')}`, async () => {
      for (const path of spellings) {
        const connection = fixture.pool.add(officialClient(`${fixture.server.baseUrl}${path}`, { transport: transport.type }));
        await connection.start();
        assert.equal(await connection.invoke('GetActiveTransportName'), transport.name, path);
        await connection.stop();
      }
    });
  }

  it('takes a WebSocket that skipped negotiation at another letter case', async () => {
    const connection = fixture.pool.add(officialClient(`${fixture.server.baseUrl}/TestHub`, { transport: HttpTransportType.WebSockets, skipNegotiation: true }));
    await connection.start();
    assert.equal(await connection.invoke('Echo', 'upgraded'), 'upgraded');
  });

  it('refuses an upgrade to a path that is no hub in any case', async () => {
    const connection = fixture.pool.add(officialClient(`${fixture.server.baseUrl}/testhubs`, { transport: HttpTransportType.WebSockets, skipNegotiation: true }));
    await assert.rejects(connection.start());
  });
});
