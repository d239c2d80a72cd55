import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { clientTextFrame, probeConnect, probeStepsFor } from '@tradehub/bench/driver/connect-probe';
import { WebSocketServer } from 'ws';

/** A server that upgrades `/ok` and answers each text message with `answer`, and refuses everything else with 401. */
async function startServer(answer: (text: string) => string | undefined): Promise<{ server: Server; port: number; received: string[] }> {
  const received: string[] = [];
  const server = createServer();
  const sockets = new WebSocketServer({ noServer: true });
  server.on('upgrade', (request, socket, head) => {
    if (request.url !== '/ok') {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (webSocket) => {
      webSocket.on('message', (data: Buffer) => {
        received.push(data.toString());
        const reply = answer(data.toString());
        if (reply !== undefined) webSocket.send(reply);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, received };
}

describe('bench: the connect-rate probe', () => {
  it('upgrades, sends each step\'s frame (masked, as ws reads it) and resolves once the answer arrived', async () => {
    const { server, port, received } = await startServer((text) => (text.startsWith('{"protocol"') ? '{}\x1e' : undefined));
    try {
      const { steps } = probeStepsFor('tradehub-trade-json', 'token');
      const socket = await probeConnect({ port, path: '/ok', steps, localAddress: '127.0.0.1', timeoutMs: 5000 });
      assert.deepEqual(received, ['{"protocol":"json","version":1}\x1e']);
      socket.destroy();
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('rejects a refused upgrade with its status line, and a server that never answers with a time-out', async () => {
    const { server, port } = await startServer(() => undefined);
    try {
      await assert.rejects(probeConnect({ port, path: '/no', steps: [], localAddress: '127.0.0.1', timeoutMs: 5000 }), /upgrade refused: HTTP\/1.1 401 Unauthorized/);
      await assert.rejects(probeConnect({ port, path: '/ok', steps: [{ send: 'x', until: 'never' }], localAddress: '127.0.0.1', timeoutMs: 300 }), /timed out/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('knows each system\'s first exchange', () => {
    assert.deepEqual(probeStepsFor('ws', undefined), { path: '/', steps: [] });
    assert.deepEqual(probeStepsFor('socketio', undefined).steps.map((step) => step.until), ['0{', '40{']);
    assert.match(probeStepsFor('tradehub-trade-json', 'a b').path, /^\/hubs\/trade\?access_token=a%20b$/);
    assert.equal(probeStepsFor('tradehub-trade-msgpack', 't').steps[0]?.send, '{"protocol":"messagepack","version":1}\x1e');
    // A client frame: FIN + text, the mask bit set, 4 mask bytes, then the masked payload.
    const frame = clientTextFrame('40');
    assert.equal(frame[0], 0x81);
    assert.equal(frame[1], 0x80 | 2);
    assert.equal(frame.length, 2 + 4 + 2);
  });
});
