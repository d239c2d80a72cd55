import assert from 'node:assert/strict';
import { HttpTransportType, TransferFormat } from '@microsoft/signalr';
import { HubHost, type TransportType } from '@tradehub/server';
import { InteropRoute } from '@tradehub/shared';
import WebSocket from 'ws';
import { rejectionOf, within } from './support/interop-fixtures.js';
import { startInteropApp, type RunningInteropApp } from './support/interop-server.js';
import { bytesOf, openRaw, type RawSession } from './support/raw-connection.js';
import { waitUntil } from './support/wait.js';

const TEXT_TRANSPORTS = [HttpTransportType.WebSockets, HttpTransportType.ServerSentEvents, HttpTransportType.LongPolling];
const BINARY_TRANSPORTS = [HttpTransportType.WebSockets, HttpTransportType.LongPolling];

/** A WebSocket frame as the `ws` client receives it. */
interface Frame {
  data: Buffer;
  binary: boolean;
}

/** A raw WebSocket to `/echo` without negotiate, with the cookie header given (or none). */
async function rawEchoSocket(baseUrl: string, cookie?: string): Promise<{ socket: WebSocket; frames: Frame[]; closed: Promise<number> }> {
  const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}${InteropRoute.Echo}`, cookie ? { headers: { Cookie: cookie } } : {});
  const frames: Frame[] = [];
  socket.on('message', (data: Buffer, binary) => frames.push({ data, binary }));
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  // Later errors (the server closing with 1009) are seen through the close code.
  socket.on('error', () => undefined);
  return { socket, frames, closed };
}

describe('interop server: /echo, a raw connection without hub protocol', () => {
  let server: RunningInteropApp;
  let echoUrl: string;
  const sessions: RawSession[] = [];

  async function open(transport: HttpTransportType, format?: TransferFormat, options?: { withCredentials?: boolean; skipNegotiation?: boolean }): Promise<RawSession> {
    const session = await openRaw(echoUrl, transport, format, options);
    sessions.push(session);
    return session;
  }

  before(async () => {
    server = await startInteropApp();
    echoUrl = `${server.baseUrl}${InteropRoute.Echo}`;
  });
  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((session) => within(session.connection.stop(), 5_000, 'stopping a raw connection').catch(() => undefined)));
  });
  after(async () => {
    await server.close();
  });

  for (const transport of TEXT_TRANSPORTS) {
    it(`echoes text over ${HttpTransportType[transport]}, each payload whole, then closes cleanly on stop`, async () => {
      const session = await open(transport);
      const payloads = ['Hello World!', '你好，世界！ \u{1F4C8}', 'a\u001eb', 'with\nnewlines\nin it', ' '];
      // One at a time: each payload's echo is waited for, so that message boundaries are observable on every transport.
      for (const [index, payload] of payloads.entries()) {
        await session.connection.send(payload);
        await waitUntil(() => session.received.length > index, `echo of payload ${index}`);
      }
      assert.deepEqual(session.received, payloads);
      await session.connection.stop();
      assert.equal(await within(session.closed, 5_000, 'onclose'), undefined);
    });
  }

  for (const transport of BINARY_TRANSPORTS) {
    it(`echoes binary payloads byte for byte over ${HttpTransportType[transport]}`, async () => {
      const session = await open(transport, TransferFormat.Binary);
      const bytes = Uint8Array.from([0, 1, 0x1e, 0x7f, 0x80, 0xfe, 0xff, 0, 0]);
      await session.connection.send(bytes.buffer);
      await waitUntil(() => session.received.length > 0, 'binary echo');
      assert.deepEqual(session.received.flatMap(bytesOf), [...bytes]);
    });
  }

  it('keeps WebSocket frame boundaries: messages sent in one burst come back one frame each', async () => {
    const negotiate = await fetch(`${echoUrl}/negotiate?negotiateVersion=1`, { method: 'POST' });
    const cookie = negotiate.headers.getSetCookie().map((header) => header.split(';')[0]).join('; ');
    const { socket, frames } = await rawEchoSocket(server.baseUrl, cookie);
    for (const text of ['one', 'two', 'three']) socket.send(text);
    socket.send(Buffer.from([1, 2, 3]));
    await waitUntil(() => frames.length === 4, () => `4 frames, received ${frames.length}`);
    assert.deepEqual(frames.map((frame) => [frame.binary, frame.binary ? [...frame.data] : frame.data.toString()]), [
      [false, 'one'], [false, 'two'], [false, 'three'], [true, [1, 2, 3]],
    ]);
    socket.close(1000);
  });

  it('answers a client Close without a status code with 1000, as ASP.NET does (browsers report 1005 for an empty answer)', async () => {
    const negotiate = await fetch(`${echoUrl}/negotiate?negotiateVersion=1`, { method: 'POST' });
    const cookie = negotiate.headers.getSetCookie().map((header) => header.split(';')[0]).join('; ');
    const { socket, frames, closed } = await rawEchoSocket(server.baseUrl, cookie);
    socket.send('message');
    await waitUntil(() => frames.length === 1, 'the echo');
    // No code: what a browser's WebSocket.close() sends.
    socket.close();
    assert.equal(await within(closed, 5_000, 'the server\'s Close'), 1000);
  });

  it('echoes over a WebSocket without testCookie, as the ASP.NET test server (an upgrade carries the browser\'s cookies anyway)', async () => {
    // Skip-negotiation: the WebSocket request carries no cookie, since negotiate never set one.
    const { socket, frames } = await rawEchoSocket(server.baseUrl);
    socket.send('anyone there?');
    await waitUntil(() => frames.length === 1, 'the echo');
    assert.deepEqual(frames.map((frame) => [frame.binary, frame.data.toString()]), [[false, 'anyone there?']]);
    socket.close(1000);
  });

  it('ends at once, without echoing, a long-polling connection whose requests carry no testCookie (withCredentials: false)', async () => {
    const negotiate = await fetch(`${echoUrl}/negotiate?negotiateVersion=1`, { method: 'POST' });
    const { connectionToken } = await negotiate.json() as { connectionToken: string };
    const target = `${echoUrl}?id=${connectionToken}`;
    // The first poll opens the transport; the connection, refused by the echo handler, is gone after it.
    assert.equal((await fetch(target)).status, 200);
    const send = await fetch(target, { method: 'POST', body: 'anyone there?' });
    assert.equal(send.status, 404);
    assert.match(await send.text(), /No Connection with that ID/);
    const poll = await fetch(target);
    assert.ok([204, 404].includes(poll.status), `poll answered ${poll.status}`);
    assert.equal(await poll.text(), '', 'nothing was echoed');
  });

  it('ends a long-polling connection whose client sends far more than it reads (bounded per connection)', async () => {
    const negotiate = await fetch(`${echoUrl}/negotiate?negotiateVersion=1`, { method: 'POST' });
    const { connectionToken } = await negotiate.json() as { connectionToken: string };
    const cookie = negotiate.headers.getSetCookie().map((header) => header.split(';')[0]).join('; ');
    const target = `${echoUrl}?id=${connectionToken}`;
    // The first poll opens the transport and is answered at once; after it, nothing is polled.
    assert.equal((await fetch(target, { headers: { Cookie: cookie } })).status, 200);
    const chunk = 'x'.repeat(256 * 1024);
    const statuses: number[] = [];
    for (let sent = 0; sent < 12; sent++) {
      statuses.push((await fetch(target, { method: 'POST', body: chunk, headers: { Cookie: cookie } })).status);
    }
    // Accepted while under the 1 MiB bound (plus one payload), then the connection is gone.
    assert.deepEqual(statuses.slice(0, 4), [200, 200, 200, 200]);
    assert.equal(statuses.at(-1), 404, `statuses ${statuses.join(',')}`);
    // What was echoed before the end is still delivered to the poll, then 204 ends it.
    const last = await fetch(target, { headers: { Cookie: cookie } });
    assert.equal(last.status, 200);
    assert.ok((await last.text()).length >= 4 * chunk.length);
    assert.equal((await fetch(target, { headers: { Cookie: cookie } })).status, 204);
  });

  it('refuses a frame larger than 64 KiB with close code 1009, and serves new connections afterwards', async () => {
    const negotiate = await fetch(`${echoUrl}/negotiate?negotiateVersion=1`, { method: 'POST' });
    const cookie = negotiate.headers.getSetCookie().map((header) => header.split(';')[0]).join('; ');
    const { socket, closed } = await rawEchoSocket(server.baseUrl, cookie);
    socket.send('y'.repeat(64 * 1024 + 1));
    assert.equal(await within(closed, 5_000, 'server closing the socket'), 1009);
    const session = await open(HttpTransportType.WebSockets);
    await session.connection.send('still here');
    await waitUntil(() => session.received.length === 1, 'echo after the refused frame');
  });

  it('refuses a send body over 1 MiB with 413 and a JSON error, not a stack trace', async () => {
    const negotiate = await fetch(`${echoUrl}/negotiate?negotiateVersion=1`, { method: 'POST' });
    const { connectionToken } = await negotiate.json() as { connectionToken: string };
    const answer = await fetch(`${echoUrl}?id=${connectionToken}`, { method: 'POST', body: 'z'.repeat(1024 * 1024 + 1) });
    assert.equal(answer.status, 413);
    assert.deepEqual(await answer.json(), { error: 'invalid_request', error_description: 'The request body is too large.' });
  });

  it('has no hub protocol: a handshake is echoed back like any other text', async () => {
    const session = await open(HttpTransportType.LongPolling);
    const handshake = '{"protocol":"json","version":1}\u001e';
    await session.connection.send(handshake);
    await waitUntil(() => session.received.length === 1, 'echo of the handshake');
    assert.deepEqual(session.received, [handshake]);
  });
});

describe('HubHost.mapConnectionHandler with some transports only', () => {
  let host: HubHost;
  let baseUrl: string;
  const opened: string[] = [];

  before(async () => {
    host = new HubHost();
    host.mapConnectionHandler('/polls-only', {
      onConnected(connection) {
        opened.push(connection.transportType ?? 'none');
        connection.attachApplication({ onData: (data) => connection.send(data.toString('utf8').toUpperCase()), onTransportClosed: () => undefined });
      },
    }, { transports: ['LongPolling'] });
    const { port } = await host.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${port}/polls-only`;
  });
  after(async () => {
    await host.close();
  });

  it('negotiates long polling only, refuses the others with 404 as ASP.NET does, and runs the handler on long polling', async () => {
    const answer = await (await fetch(`${baseUrl}/negotiate?negotiateVersion=1`, { method: 'POST' })).json() as { connectionToken: string; availableTransports: Array<{ transport: string }> };
    assert.deepEqual(answer.availableTransports.map((entry) => entry.transport), ['LongPolling']);
    const events = await fetch(`${baseUrl}?id=${answer.connectionToken}`, { headers: { Accept: 'text/event-stream' } });
    assert.equal(events.status, 404);
    assert.equal(await events.text(), 'ServerSentEvents transport not supported by this end point type');
    assert.deepEqual(opened, []);

    const session = await openRaw(baseUrl, HttpTransportType.LongPolling);
    await session.connection.send('shout');
    await waitUntil(() => session.received.length === 1, 'the handler\'s answer');
    assert.deepEqual(session.received, ['SHOUT']);
    assert.deepEqual(opened, ['LongPolling']);
    await session.connection.stop();
    const refused = await rejectionOf(openRaw(baseUrl, HttpTransportType.ServerSentEvents));
    assert.match(refused.message, /ServerSentEvents' is disabled by the client|Unable to connect/);
  });

  it('refuses a hub or handler mapped twice at one path, and a transport list that is empty or unknown', () => {
    assert.throws(() => host.mapConnectionHandler('/polls-only/', { onConnected: () => undefined }), /already mapped at '\/polls-only'/);
    assert.throws(() => host.mapConnectionHandler('/none', { onConnected: () => undefined }, { transports: [] }), /at least one transport/);
    assert.throws(() => host.mapConnectionHandler('/bad', { onConnected: () => undefined }, { transports: ['Carrier pigeon' as TransportType] }), /Unknown transport\(s\) Carrier pigeon/);
  });
});
