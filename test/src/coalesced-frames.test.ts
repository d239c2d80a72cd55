import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { decode, encode } from '@msgpack/msgpack';
import type { HubConnection } from '@microsoft/signalr';
import { startInteropServer, type RunningInteropServer } from './support/interop-server.js';
import { officialClient } from './support/official-client.js';
import { waitUntil } from './support/wait.js';

const RS = '\x1e';

/** A bare WebSocket that keeps every frame as it arrived, to see how the server framed its messages. */
async function openRecordingSocket(hubUrl: string): Promise<{ socket: WebSocket; frames: Buffer[] }> {
  const socket = new WebSocket(hubUrl.replace(/^http/, 'ws'));
  const frames: Buffer[] = [];
  socket.on('message', (data: Buffer) => frames.push(data));
  socket.on('error', () => undefined);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return { socket, frames };
}

describe('coalesced frames: the messages of one turn leave in one WebSocket frame', () => {
  let server: RunningInteropServer;
  const sockets: WebSocket[] = [];
  const connections: HubConnection[] = [];

  before(async () => {
    server = await startInteropServer();
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.terminate();
    await Promise.all(connections.splice(0).map((connection) => connection.stop()));
  });
  after(async () => {
    await server.close();
  });

  it('answers calls received together in one frame, after a handshake answer that has a frame of its own', async () => {
    const { socket, frames } = await openRecordingSocket(server.hubUrl);
    sockets.push(socket);
    const calls = ['a', 'b', 'c'].map((value, index) => JSON.stringify({ type: 1, invocationId: String(index), target: 'Echo', arguments: [value] }) + RS);
    socket.send(`{"protocol":"json","version":1}${RS}`);
    await waitUntil(() => frames.length === 1, 'the handshake answer');
    assert.equal(frames[0]?.toString(), `{}${RS}`);
    socket.send(calls.join(''));
    const completions = (): string[] => frames.slice(1).flatMap((frame) => frame.toString().split(RS).filter((record) => record !== ''));
    await waitUntil(() => completions().filter((record) => record.includes('"type":3')).length === 3, 'three completions');
    assert.deepEqual(
      completions().filter((record) => record.includes('"type":3')).map((record) => (JSON.parse(record) as { result: string }).result),
      ['a', 'b', 'c'],
    );
    // One socket write for the three answers instead of three.
    assert.equal(frames.length, 2, `frames after the handshake: ${JSON.stringify(frames.slice(1).map(String))}`);
  });

  it('frames MessagePack messages of one turn together, each with its length prefix', async () => {
    const { socket, frames } = await openRecordingSocket(server.hubUrl);
    sockets.push(socket);
    socket.send(`{"protocol":"messagepack","version":1}${RS}`);
    await waitUntil(() => frames.length === 1, 'the handshake answer');
    // [1, {}, "0", "Echo", ["x"], []] and the same with id "1": two Invocations in one binary frame.
    const framed = (body: Uint8Array): Buffer => Buffer.concat([Buffer.from([body.length]), body]);
    socket.send(Buffer.concat([
      framed(encode([1, {}, '0', 'Echo', ['x'], []])),
      framed(encode([1, {}, '1', 'Echo', ['y'], []])),
    ]), { binary: true });
    await waitUntil(() => frames.length >= 2, 'the answers');
    const answers = frames[1] as Buffer;
    const messages: unknown[] = [];
    for (let offset = 0; offset < answers.length;) {
      const length = answers[offset] as number;
      messages.push(decode(answers.subarray(offset + 1, offset + 1 + length)));
      offset += 1 + length;
    }
    assert.deepEqual(messages, [[3, {}, '0', 3, 'x'], [3, {}, '1', 3, 'y']]);
  });

  for (const messagePack of [false, true]) {
    it(`the official client reads every message of coalesced frames, in order (${messagePack ? 'MessagePack' : 'JSON'})`, async () => {
      const receiver = officialClient(server.hubUrl, { messagePack });
      const sender = officialClient(server.hubUrl, { messagePack });
      connections.push(receiver, sender);
      const received: string[] = [];
      receiver.on('Message', (text: string) => received.push(text));
      await receiver.start();
      await sender.start();
      const texts = Array.from({ length: 200 }, (_, index) => `message ${index}`);
      await Promise.all(texts.map((text) => sender.send('SendToAll', text)));
      await waitUntil(() => received.length >= texts.length, () => `200 messages (got ${received.length})`);
      assert.deepEqual(received, texts);
      const items: number[] = [];
      await new Promise<void>((resolve, reject) => {
        receiver.stream('Counter', 100, 0).subscribe({ next: (item: number) => items.push(item), complete: resolve, error: reject });
      });
      assert.deepEqual(items, Array.from({ length: 100 }, (_, index) => index));
    });
  }
});
