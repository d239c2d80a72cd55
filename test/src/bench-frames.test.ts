import assert from 'node:assert/strict';
import { JsonHubProtocol, MessagePackHubProtocol, MessageType } from '@tradehub/server';
import { encodePacket } from 'engine.io-parser';
import { Encoder, PacketType } from 'socket.io-parser';
import { benchSendTimes, closeErrorOf, handshakeRequest, SignalRFrameError, SignalRFrameReader } from '@tradehub/bench/frames/signalr-frames';
import { PayloadSampler } from '@tradehub/bench/frames/payload-sampler';
import { isSocketIoPayload, SocketIoFrameReader, socketIoSendTime } from '@tradehub/bench/frames/socketio-frames';
import { isWsPayload, readWsFrame, WS_ACK } from '@tradehub/bench/frames/ws-frames';
import { benchTick, sentMicrosOf, tradeTickEvent } from '@tradehub/bench/payload';

const HANDSHAKE_OK = Buffer.from('{}\x1e');

function asBuffer(frame: string | Uint8Array): Buffer {
  return typeof frame === 'string' ? Buffer.from(frame) : Buffer.from(frame);
}

describe('bench: SignalR frames (tradehub)', () => {
  const interopMessage = (sent: number) => ({ type: MessageType.Invocation, target: 'Message', arguments: [JSON.stringify(benchTick(sent))] });
  const tradeEvent = (sent: number) => ({
    type: MessageType.Invocation, target: 'OnEvent', arguments: [{ topic: 'platforms/demo/ticks/EURUSD', seq: 1, epoch: 'e', ...tradeTickEvent(sent) }],
  });

  it('asks for the protocol by name, version 1, ended by the record separator', () => {
    assert.equal(handshakeRequest('json'), '{"protocol":"json","version":1}\x1e');
    assert.equal(handshakeRequest('messagepack'), '{"protocol":"messagepack","version":1}\x1e');
  });

  it('JSON: strips the handshake answer, reads several messages of one frame, pings included', () => {
    const json = new JsonHubProtocol();
    const reader = new SignalRFrameReader('json');
    const frame = Buffer.concat([HANDSHAKE_OK, asBuffer(json.writeMessage(interopMessage(11))), asBuffer(json.writeMessage({ type: MessageType.Ping })),
      asBuffer(json.writeMessage(tradeEvent(22)))]);
    const messages = reader.read(frame);
    assert.equal(reader.handshaken, true);
    assert.deepEqual(messages.map((message) => message.type), [MessageType.Invocation, MessageType.Ping, MessageType.Invocation]);
    assert.deepEqual(benchSendTimes(messages), [11, 22]);
  });

  it('JSON: a message split across frames is read once whole', () => {
    const reader = new SignalRFrameReader('json');
    const bytes = asBuffer(new JsonHubProtocol().writeMessage(interopMessage(7)));
    assert.deepEqual(reader.read(Buffer.concat([HANDSHAKE_OK, bytes.subarray(0, 10)])), []);
    assert.deepEqual(benchSendTimes(reader.read(bytes.subarray(10))), [7]);
  });

  it('MessagePack: reads length-prefixed messages after the JSON handshake answer, coalesced or split', () => {
    const msgpack = new MessagePackHubProtocol();
    const reader = new SignalRFrameReader('messagepack');
    const first = asBuffer(msgpack.writeMessage(tradeEvent(100)));
    const second = asBuffer(msgpack.writeMessage(tradeEvent(200)));
    const both = Buffer.concat([first, second]);
    assert.deepEqual(benchSendTimes(reader.read(Buffer.concat([HANDSHAKE_OK, both.subarray(0, first.length + 3)]))), [100]);
    assert.deepEqual(benchSendTimes(reader.read(both.subarray(first.length + 3))), [200]);
  });

  it('reports a refused handshake and unreadable input as errors, and a Close with its error', () => {
    assert.throws(() => new SignalRFrameReader('json').read(Buffer.from('{"error":"Requested protocol \'x\' is not available."}\x1e')),
      (error: unknown) => error instanceof SignalRFrameError && /Handshake refused: Requested protocol/.test(error.message));
    assert.throws(() => new SignalRFrameReader('json').read(Buffer.concat([HANDSHAKE_OK, Buffer.from('not json\x1e')])), /Unreadable frame/);
    const close = new SignalRFrameReader('json').read(Buffer.concat([HANDSHAKE_OK, asBuffer(new JsonHubProtocol().writeMessage({
      type: MessageType.Close, error: 'Connection closed with an error.', allowReconnect: true,
    }))]));
    assert.equal(closeErrorOf(close), 'Connection closed with an error.');
  });

  for (const protocolName of ['json', 'messagepack'] as const) {
    it(`${protocolName}: counts every payload by its first bytes, parses the sampled ones and everything else in full`, () => {
      const protocol = protocolName === 'json' ? new JsonHubProtocol() : new MessagePackHubProtocol();
      const reader = new SignalRFrameReader(protocolName);
      const sampler = new PayloadSampler(3);
      const payloads = [1, 2, 3, 4, 5, 6, 7].map((sent) => asBuffer(protocol.writeMessage(sent % 2 ? tradeEvent(sent) : interopMessage(sent))));
      const status = asBuffer(protocol.writeMessage({ type: MessageType.Invocation, target: 'OnConnectionStatus', arguments: [{ connectionId: 'x' }] }));
      const completion = asBuffer(protocol.writeMessage({ type: MessageType.Completion, invocationId: '1', result: null }));
      const frame = Buffer.concat([HANDSHAKE_OK, status, ...payloads.slice(0, 4), completion, ...payloads.slice(4)]);
      // Split in the middle of the sixth payload: the rest comes with the next frame.
      const cut = frame.length - payloads[6]!.length - 5;
      const first = reader.readCounted(frame.subarray(0, cut), sampler);
      const second = reader.readCounted(frame.subarray(cut), sampler);
      assert.equal(first.payloads + second.payloads, 7);
      assert.deepEqual([...first.sendTimes, ...second.sendTimes], [1, 4, 7], 'the first, then every third');
      assert.deepEqual(first.messages.map((message) => message.type), [MessageType.Invocation, MessageType.Completion]);
      assert.deepEqual(second.messages, []);
    });
  }

  it('json: frames after the handshake are read in place, with records cut across frames kept for the next', () => {
    const protocol = new JsonHubProtocol();
    const reader = new SignalRFrameReader('json');
    const sampler = new PayloadSampler(2);
    assert.equal(reader.readCounted(HANDSHAKE_OK, sampler).payloads, 0);
    const payload = (sent: number): Buffer => asBuffer(protocol.writeMessage(sent % 2 ? tradeEvent(sent) : interopMessage(sent)));
    const completion = asBuffer(protocol.writeMessage({ type: MessageType.Completion, invocationId: '1', result: null }));
    const one = reader.readCounted(payload(1), sampler);
    assert.deepEqual([one.payloads, [...one.sendTimes], one.messages.length], [1, [1], 0]);
    // Two payloads, a completion and half of a fourth payload; the other half in the next frame.
    const fourth = payload(4);
    const mixed = Buffer.concat([payload(2), completion, payload(3), fourth.subarray(0, 10)]);
    const two = reader.readCounted(mixed, sampler);
    assert.deepEqual([two.payloads, [...two.sendTimes], two.messages.map((message) => message.type)], [2, [3], [MessageType.Completion]]);
    const three = reader.readCounted(fourth.subarray(10), sampler);
    assert.deepEqual([three.payloads, [...three.sendTimes]], [1, []], 'the fourth payload, counted once whole, not sampled');
    const five = reader.readCounted(payload(5), sampler);
    assert.deepEqual([five.payloads, [...five.sendTimes]], [1, [5]]);
    assert.throws(() => reader.readCounted(Buffer.from('{"type":1,"target":"Other","arguments":[x\x1e'), sampler), /Unreadable frame/);
  });

  it('lean reading still refuses a bad handshake and unreadable input', () => {
    assert.throws(() => new SignalRFrameReader('json').readCounted(Buffer.from('{"error":"no"}\x1e'), new PayloadSampler()), /Handshake refused: no/);
    assert.throws(() => new SignalRFrameReader('json').readCounted(Buffer.concat([HANDSHAKE_OK, Buffer.from('{"type":1,"target":"OnEvent","arguments":[x\x1e')]), new PayloadSampler(1)), /Unreadable frame/);
  });

  it('ignores invocations that carry no benchmark payload', () => {
    const messages = new SignalRFrameReader('json').read(Buffer.concat([HANDSHAKE_OK, asBuffer(new JsonHubProtocol().writeMessage({
      type: MessageType.Invocation, target: 'OnConnectionStatus', arguments: [{ connectionId: 'x' }],
    }))]));
    assert.deepEqual(benchSendTimes(messages), []);
  });
});

describe('bench: Socket.IO frames', () => {
  const encode = (packet: Parameters<typeof encodePacket>[0]): Promise<string> =>
    new Promise((resolve) => encodePacket(packet, false, (encoded) => resolve(encoded as string)));
  const socketIoText = (type: PacketType, data?: unknown): string => new Encoder().encode({ type, nsp: '/', ...(data !== undefined ? { data } : {}) })[0] as string;

  it('reads open, ping, namespace connect, events and disconnects as Socket.IO writes them', async () => {
    const reader = new SocketIoFrameReader();
    assert.deepEqual(reader.read(await encode({ type: 'open', data: '{"sid":"a","pingInterval":25000}' })), { kind: 'open' });
    assert.deepEqual(reader.read(await encode({ type: 'ping' })), { kind: 'ping' });
    assert.deepEqual(reader.read(await encode({ type: 'message', data: socketIoText(PacketType.CONNECT, { sid: 'b' }) })), { kind: 'connected' });
    const event = reader.read(await encode({ type: 'message', data: socketIoText(PacketType.EVENT, ['message', benchTick(321)]) }));
    assert.equal(event.kind, 'event');
    assert.equal(socketIoSendTime(event), 321);
    const other = reader.read(await encode({ type: 'message', data: socketIoText(PacketType.EVENT, ['news', benchTick(1)]) }));
    assert.equal(socketIoSendTime(other), undefined);
    assert.equal(reader.read(await encode({ type: 'message', data: socketIoText(PacketType.DISCONNECT) })).kind, 'close');
  });

  it('tells a payload frame by its first bytes, and nothing else', async () => {
    assert.equal(isSocketIoPayload(Buffer.from(await encode({ type: 'message', data: socketIoText(PacketType.EVENT, ['message', benchTick(3)]) }))), true);
    assert.equal(isSocketIoPayload(Buffer.from(await encode({ type: 'message', data: socketIoText(PacketType.EVENT, ['news', benchTick(3)]) }))), false);
    assert.equal(isSocketIoPayload(Buffer.from(await encode({ type: 'ping' }))), false);
  });
});

describe('bench: ws frames and payloads', () => {
  it('tells the acknowledgement from a relayed tick and from anything else', () => {
    assert.deepEqual(readWsFrame(WS_ACK), { kind: 'ack' });
    assert.deepEqual(readWsFrame(JSON.stringify(benchTick(55))), { kind: 'tick', sentMicros: 55 });
    assert.deepEqual(readWsFrame('{"symbol":"EURUSD"}'), { kind: 'other' });
    assert.deepEqual(readWsFrame('garbage'), { kind: 'other' });
    assert.equal(isWsPayload(Buffer.from(JSON.stringify(benchTick(55)))), true);
    assert.equal(isWsPayload(Buffer.from(WS_ACK)), false);
  });

  it('samples the first payload, then every n-th, and refuses a sampling rate below 1', () => {
    const sampler = new PayloadSampler(4);
    assert.deepEqual(Array.from({ length: 9 }, () => sampler.next()), [true, false, false, false, true, false, false, false, true]);
    assert.throws(() => new PayloadSampler(0), /sample every/);
  });

  it('finds the send time in a tick, its JSON text, or a trade envelope (flags, as the schema wants integers)', () => {
    assert.equal(sentMicrosOf(benchTick(9)), 9);
    assert.equal(sentMicrosOf(JSON.stringify(benchTick(9))), 9);
    const event = tradeTickEvent(123_456);
    assert.equal(sentMicrosOf(event), 123_456);
    assert.ok(Number.isInteger(event.data.time));
    assert.equal(sentMicrosOf(null), undefined);
  });
});
