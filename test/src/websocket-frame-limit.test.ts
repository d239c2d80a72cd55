import assert from 'node:assert/strict';
import { defineHub, HubHost, hubMethod } from '@tradehub/server';
import { z } from 'zod';
import { RawWebSocket } from './support/raw-websocket.js';
import { waitUntil } from './support/wait.js';

const RS = '\x1e';

/** WebSocket frames are bounded per hub: each hub's message limit plus 224 KiB (webSocketFrameAllowanceBytes). */
describe('WebSocket frame limit', () => {
  let host: HubHost;
  let baseUrl: string;
  const disconnected: string[] = [];
  const sockets: RawWebSocket[] = [];

  before(async () => {
    const hub = defineHub({
      methods: { Echo: hubMethod([z.string()], (_context, text) => text.length) },
      onDisconnected: (context) => {
        disconnected.push(context.connectionId);
      },
    });
    host = new HubHost({ shutdownGraceMs: 200 });
    host.mapHub({ path: '/small', hub });
    host.mapHub({ path: '/big', hub, hubOptions: { maximumReceiveMessageSize: 1024 * 1024 } });
    const { port } = await host.listen(0);
    baseUrl = `http://127.0.0.1:${port}`;
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.destroy();
  });
  after(async () => {
    await host.close();
  });

  async function open(path: string): Promise<RawWebSocket> {
    const socket = await RawWebSocket.open(`${baseUrl}${path}`);
    sockets.push(socket);
    await socket.write(RawWebSocket.frame(Buffer.from(`{"protocol":"json","version":1}${RS}`)));
    await waitUntil(() => socket.texts.includes(`{}${RS}`), 'the handshake answer');
    return socket;
  }

  const echo = (length: number): Buffer =>
    RawWebSocket.frame(Buffer.from(`{"type":1,"invocationId":"1","target":"Echo","arguments":["${'x'.repeat(length)}"]}${RS}`));

  it('closes a socket with 1009 for a frame over its hub\'s limit, ends the hub connection at once, and counts it', async () => {
    const socket = await open('/small');
    const before = disconnected.length;
    // 32 KiB + 224 KiB = 256 KiB is the largest frame of a hub with the default limits.
    await socket.write(RawWebSocket.frameHeader(256 * 1024 + 1));
    await waitUntil(() => socket.closeCode === 1009, 'a Close frame with 1009 (Message Too Big)');
    // Without waiting for the client's Close frame, which this client never sends (ws would wait 30 s).
    await waitUntil(() => disconnected.length === before + 1, 'the hub\'s disconnect hook');
    const counted = (await host.metrics.limitRejections.get()).values.find((value) => value.labels.limit === 'message_size');
    assert.equal(counted?.value, 1);
  });

  it('bounds each hub by its own limit: a 300 KB message passes on a hub that allows 1 MB', async () => {
    const socket = await open('/big');
    await socket.write(echo(300_000));
    await waitUntil(() => socket.texts.includes(`{"type":3,"invocationId":"1","result":300000}${RS}`), 'the echo of 300 KB');
    const small = await open('/small');
    await small.write(echo(300_000));
    await waitUntil(() => small.closeCode === 1009, 'the small hub to refuse the same frame with 1009');
  });
});
