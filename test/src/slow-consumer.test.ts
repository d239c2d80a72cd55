import assert from 'node:assert/strict';
import type { HubConnection } from '@microsoft/signalr';
import { officialClient } from './support/official-client.js';
import { startInteropServer, type RunningInteropServer } from './support/interop-server.js';
import { RawHubSocket } from './support/raw-socket.js';
import { waitUntil } from './support/wait.js';

describe('a client that stops reading', function () {
  this.timeout(30_000);
  let server: RunningInteropServer;
  let fast: HubConnection | undefined;
  let slow: RawHubSocket | undefined;
  before(async () => {
    server = await startInteropServer({ maximumBufferedBytesPerClient: 1024 * 1024 });
  });
  after(async () => {
    await fast?.stop();
    slow?.close();
    await server.close();
  });

  it('is disconnected with a reconnectable Close once its backlog passes the limit, while others get everything', async () => {
    slow = await RawHubSocket.open(server.hubUrl);
    await slow.handshake();
    slow.socket.pause();
    fast = officialClient(server.hubUrl);
    let delivered = 0;
    fast.on('Message', () => delivered++);
    await fast.start();
    const text = 'x'.repeat(16_000);
    // Enough to fill the kernel's socket buffers on loopback and then the server's limit.
    const sends = 2_000;
    // One at a time, so that the reading client (in this same process) keeps up.
    for (let i = 0; i < sends; i++) await fast.invoke('SendToAll', text);
    await waitUntil(() => delivered >= sends, 'every message at the reading client', 15_000);
    assert.equal(delivered, sends, 'the reading client must get every message');

    slow.socket.resume();
    let close: Record<string, unknown> | undefined;
    let messages = 0;
    while (!close) {
      const message = await slow.nextMessage(10_000);
      if (message.type === 7) close = message;
      else messages++;
    }
    assert.deepEqual(close, { type: 7, error: 'The client did not read its messages fast enough.', allowReconnect: true });
    assert.ok(messages < sends, `the slow client was cut off after ${messages} messages`);
    await slow.waitClosed(10_000);
  });
});
