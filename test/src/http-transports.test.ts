import assert from 'node:assert/strict';
import { HttpTransportType, Subject, type HubConnection } from '@microsoft/signalr';
import type { SubscribeResult, TradeEnvelope } from '@tradehub/shared';
import { nextCall, nextClose, officialClient } from './support/official-client.js';
import { startInteropServer, type RunningInteropServer } from './support/interop-server.js';
import { NodeGroup } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';
import { PollRecorder } from './support/poll-recorder.js';
import { openRawLongPoll } from './support/protocol-helpers.js';

const TRANSPORTS = [
  { name: 'ServerSentEvents', type: HttpTransportType.ServerSentEvents },
  { name: 'LongPolling', type: HttpTransportType.LongPolling },
] as const;

function client(url: string, transport: HttpTransportType, options: { messagePack?: boolean } = {}): HubConnection {
  return officialClient(url, { transport, ...options });
}

for (const { name, type } of TRANSPORTS) {
  describe(`${name} with the official client`, function () {
    this.timeout(20_000);
    let server: RunningInteropServer;
    const open: HubConnection[] = [];
    before(async () => {
      server = await startInteropServer({}, { shutdownGraceMs: 500 });
    });
    afterEach(async () => {
      await Promise.all(open.splice(0).map((connection) => connection.stop()));
    });
    after(async () => {
      await server.close();
    });

    async function connect(options: { messagePack?: boolean } = {}): Promise<HubConnection> {
      const connection = client(server.hubUrl, type, options);
      open.push(connection);
      await connection.start();
      return connection;
    }

    it('invokes, receives server-sent messages and groups, and names its transport', async () => {
      const connection = await connect();
      assert.equal(await connection.invoke('GetActiveTransportName'), name);
      assert.deepEqual(await connection.invoke('Echo', { via: name }), { via: name });
      assert.deepEqual(await connection.invoke('EchoMany', 1, 'two'), [1, 'two']);
      const message = nextCall(connection, 'Message');
      await connection.invoke('InvokeWithString', 'pushed');
      assert.deepEqual(await message, ['pushed']);
      await connection.invoke('JoinGroup', 'g');
      const group = nextCall(connection, 'GroupMessage');
      await connection.send('SendToGroup', 'g', 'to g');
      assert.deepEqual(await group, ['g', 'to g']);
      await assert.rejects(connection.invoke('ThrowHubException', 'no'), /HubException: no$/);
    });

    it('carries many messages in order, both ways, and streams', async () => {
      const connection = await connect();
      const seen: number[] = [];
      connection.on('Message', (text: string) => seen.push(Number(text)));
      await Promise.all(Array.from({ length: 100 }, (_, i) => connection.send('InvokeWithString', String(i))));
      await waitUntil(() => seen.length >= 100, '100 messages');
      assert.deepEqual(seen, Array.from({ length: 100 }, (_, i) => i));
      const items: unknown[] = [];
      await new Promise<void>((resolve, reject) => {
        connection.stream('Counter', 5, 0).subscribe({ next: (item) => items.push(item), complete: resolve, error: reject });
      });
      assert.deepEqual(items, [0, 1, 2, 3, 4]);
      const numbers = new Subject<number>();
      const sum = connection.invoke('SumStream', numbers);
      for (const n of [1, 2, 3]) numbers.next(n);
      numbers.complete();
      assert.equal(await sum, 6);
    });

    it('is closed by the server with its reason (Abort)', async () => {
      const connection = await connect();
      const closed = nextClose(connection, 5_000);
      await connection.invoke('Abort').catch(() => undefined);
      assert.equal(await closed, undefined);
    });

    if (name === 'LongPolling') {
      it('carries MessagePack', async () => {
        const connection = await connect({ messagePack: true });
        const bytes = new Uint8Array([9, 8, 7]);
        assert.deepEqual(await connection.invoke('Echo', bytes), bytes);
        assert.equal(await connection.invoke('GetActiveTransportName'), 'LongPolling');
      });
    } else {
      it('refuses MessagePack, which needs binary frames, with the handshake error', async () => {
        // The official client refuses this itself; a raw client reaches the server's check.
        const negotiated = await (await fetch(`${server.hubUrl}/negotiate?negotiateVersion=1`, { method: 'POST' })).json() as { connectionToken: string };
        const url = `${server.hubUrl}?id=${negotiated.connectionToken}`;
        const events = await fetch(url, { headers: { Accept: 'text/event-stream' } });
        assert.match(events.headers.get('content-type') ?? '', /^text\/event-stream\b/);
        const reader = (events.body as ReadableStream<Uint8Array>).getReader();
        await fetch(url, { method: 'POST', body: '{"protocol":"messagepack","version":1}\u001e' });
        let text = '';
        while (!text.includes('\r\n\r\n')) {
          const { value, done } = await reader.read();
          if (done) break;
          text += Buffer.from(value).toString('utf8');
        }
        await reader.cancel();
        assert.equal(text, `data: ${JSON.stringify({ error: "Cannot use the 'messagepack' protocol on the current transport. The transport does not support 'Binary' transfer format." })}\u001e\r\n\r\n`);
      });
    }
  });
}

describe('long polling edges', function () {
  this.timeout(20_000);
  let server: RunningInteropServer;
  const open: HubConnection[] = [];
  before(async () => {
    server = await startInteropServer({}, { shutdownGraceMs: 500, longPollTimeoutMs: 300, longPollInactivityTimeoutMs: 1_000 });
  });
  after(async () => {
    await Promise.all(open.map((connection) => connection.stop()));
    await server.close();
  });

  it('answers an idle poll empty after the poll time-out, and the client polls again', async () => {
    const recorder = new PollRecorder();
    const connection = officialClient(server.hubUrl, { transport: HttpTransportType.LongPolling, httpClient: recorder });
    open.push(connection);
    await connection.start();
    // The first poll of a connection answers at once and the second brings the handshake answer;
    // then come idle polls, each held for the 300 ms poll time-out.
    await waitUntil(() => recorder.polls.length >= 5, 'three idle polls');
    for (const poll of recorder.polls.slice(2, 5)) {
      assert.equal(poll.empty, true, `an idle poll carries nothing: ${JSON.stringify(recorder.polls)}`);
      assert.ok(poll.status === 200 || poll.status === 204, `poll answered ${poll.status}`);
      assert.ok(poll.tookMs >= 250, `an idle poll answered after ${poll.tookMs} ms, before the poll time-out`);
    }
    assert.equal(await connection.invoke('Echo', 'after idle polls'), 'after idle polls');
  });

  it('ends a connection whose client stopped polling', async () => {
    const { url, connectionToken, lastPollEndedAt } = await openRawLongPoll(server.hubUrl);
    // Watched on the server: a poll to watch would be the activity that keeps the connection alive.
    await waitUntil(() => server.endpoint.connections.get(connectionToken) === undefined, 'the idle connection to end', 5_000);
    const idleMs = Date.now() - lastPollEndedAt;
    assert.ok(idleMs >= 900, `ended after ${idleMs} ms without a poll, before the 1 s inactivity time-out`);
    const afterTimeout = await fetch(url);
    assert.ok(afterTimeout.status === 204 || afterTimeout.status === 404, `status ${afterTimeout.status}`);
  });

  it('refuses a POST to a WebSocket connection and a DELETE to a connection that is not long polling', async () => {
    const negotiated = await (await fetch(`${server.hubUrl}/negotiate?negotiateVersion=1`, { method: 'POST' })).json() as { connectionToken: string };
    const url = `${server.hubUrl}?id=${negotiated.connectionToken}`;
    const deleted = await fetch(url, { method: 'DELETE' });
    assert.equal(deleted.status, 400);
    assert.equal(await deleted.text(), 'Cannot terminate this connection using the DELETE endpoint.');
  });
});

describe('the trade hub over Server-Sent Events and long polling', function () {
  this.timeout(20_000);
  let group: NodeGroup;
  before(async () => {
    group = await NodeGroup.start(1);
  });
  after(async () => {
    await group.close();
  });

  it('delivers authenticated subscriptions on both transports', async () => {
    const readers = await Promise.all(TRANSPORTS.map(({ type }) => group.trade(0, 'demo-reader', 'demo-reader-secret', { transport: type })));
    const publisher = await group.trade(0, 'demo-publisher', 'demo-publisher-secret', { transport: HttpTransportType.LongPolling });
    const received: TradeEnvelope[][] = readers.map(() => []);
    for (const [index, reader] of readers.entries()) {
      reader.on('OnEvent', (envelope: TradeEnvelope) => received[index]?.push(envelope));
      const [result] = await reader.invoke('Subscribe', ['platforms/demo/ticks/AUDUSD']) as SubscribeResult[];
      assert.equal(result?.status, 'snapshot');
    }
    for (let i = 0; i < 10; i++) {
      await publisher.invoke('Publish', [{ type: 'tick', platformId: 'demo', data: { symbol: 'AUDUSD', bid: 0.65 + i / 1000, ask: 0.651 + i / 1000, time: Date.now() } }]);
    }
    await waitUntil(() => received.every((events) => events.length >= 10), 'ten events on each transport');
    for (const events of received) assert.deepEqual(events.map((e) => e.seq), Array.from({ length: 10 }, (_, i) => i + 1));
  });

  it('refuses an SSE or long-polling request without a token', async () => {
    const negotiate = await fetch(`${group.node(0).tradeHubUrl}/negotiate?negotiateVersion=1`, { method: 'POST' });
    assert.equal(negotiate.status, 401);
    const poll = await fetch(`${group.node(0).tradeHubUrl}?id=whatever`, { headers: { Accept: 'text/event-stream' } });
    assert.equal(poll.status, 401);
  });
});
