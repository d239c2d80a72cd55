import { JsonHubProtocol, MessagePackHubProtocol, MessageType } from '@tradehub/server';
import { io as socketIoClient } from 'socket.io-client';
import WebSocket from 'ws';
import { PayloadSampler } from '../frames/payload-sampler.js';
import { closeErrorOf, handshakeRequest, SignalRFrameReader, type SignalRProtocolName } from '../frames/signalr-frames.js';
import { ENGINE_IO_PONG, isSocketIoPayload, SOCKET_IO_CONNECT, SOCKET_IO_PATH, SocketIoFrameReader, socketIoSendTime } from '../frames/socketio-frames.js';
import { isWsPayload, readWsFrame } from '../frames/ws-frames.js';
import { benchTick, nowMicros, TRADE_TOPIC, tradeTickEvent } from '../payload.js';
import type { SystemId } from '../results.js';

const CONNECT_TIMEOUT_MS = 15_000;
const PUBLISH_TIMEOUT_MS = 15_000;

export interface SubscriberHooks {
  /** Picks the payloads parsed for their send time: one sampler for all of a driver's subscribers. */
  readonly sampler: PayloadSampler;
  /** `count` benchmark payloads arrived (each counted, sampled or not). */
  onPayloads(count: number): void;
  /** A sampled payload arrived, sent at `sentMicros`. */
  onSendTime(sentMicros: number): void;
  /** The server closed the connection after it was ready. */
  onClosed(reason: string): void;
}

export interface ConnectTarget {
  port: number;
  localAddress: string;
  /** The trade hub's bearer token; absent for the interop hub and the peers. */
  token?: string;
  /** Trade hub: subscribe to the tick topic once connected (fan-out) or stay idle (memory, connect rate). */
  subscribe: boolean;
  /** Trade hub: the topic to subscribe to; the one tick topic when absent. */
  topic?: string;
}

export interface Closable {
  close(): void;
}

export function protocolOf(system: SystemId): SignalRProtocolName {
  return system === 'tradehub-trade-msgpack' ? 'messagepack' : 'json';
}

/** Path and query a tradehub system's connections open: the interop hub, or the trade hub with the token in the query. */
export function signalRPath(system: SystemId, token: string | undefined): string {
  return system === 'tradehub-interop-json' ? '/testhub' : `/hubs/trade?access_token=${encodeURIComponent(token ?? '')}`;
}

function signalRUrl(system: SystemId, target: ConnectTarget): string {
  return `ws://127.0.0.1:${target.port}${signalRPath(system, target.token)}`;
}

/** Resolves once `socket` is marked ready, rejects when it closes or errors first, or after the time-out. */
function whenReady(socket: WebSocket, setReady: (ready: () => void) => void): Promise<Closable> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (reason: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.terminate();
      reject(new Error(reason));
    };
    const timer = setTimeout(() => fail('connect timed out'), CONNECT_TIMEOUT_MS);
    socket.once('error', (error) => fail(error.message));
    socket.once('close', (code) => fail(`closed before ready (${code})`));
    setReady(() => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ close: () => socket.terminate() });
    });
  });
}

/** Opens one subscriber of `system`; resolves when it is ready to receive. */
export function openSubscriber(system: SystemId, target: ConnectTarget, hooks: SubscriberHooks): Promise<Closable> {
  switch (system) {
    case 'socketio': return openSocketIoSubscriber(target, hooks);
    case 'ws': return openWsSubscriber(target, hooks);
    default: return openSignalRSubscriber(system, target, hooks);
  }
}

function openSignalRSubscriber(system: SystemId, target: ConnectTarget, hooks: SubscriberHooks): Promise<Closable> {
  const protocolName = protocolOf(system);
  const protocol = protocolName === 'json' ? new JsonHubProtocol() : new MessagePackHubProtocol();
  const reader = new SignalRFrameReader(protocolName);
  const socket = new WebSocket(signalRUrl(system, target), { localAddress: target.localAddress, perMessageDeflate: false });
  let ready = false;
  let subscribeSent = false;
  const wantsSubscription = system !== 'tradehub-interop-json' && target.subscribe;
  return whenReady(socket, (markReady) => {
    socket.on('open', () => socket.send(handshakeRequest(protocolName)));
    socket.on('message', (data: Buffer) => {
      let counted;
      try {
        counted = reader.readCounted(data, hooks.sampler);
      } catch (error) {
        socket.terminate();
        hooks.onClosed((error as Error).message);
        return;
      }
      const { messages } = counted;
      if (!ready && reader.handshaken) {
        if (!wantsSubscription) {
          ready = true;
          markReady();
        } else if (!subscribeSent) {
          subscribeSent = true;
          socket.send(protocol.writeMessage({ type: MessageType.Invocation, invocationId: '1', target: 'Subscribe', arguments: [[target.topic ?? TRADE_TOPIC]] }));
        }
      }
      for (const message of messages) {
        if (!ready && message.type === MessageType.Completion && message.invocationId === '1') {
          if (message.error) {
            socket.terminate();
            return;
          }
          ready = true;
          markReady();
        }
      }
      if (counted.payloads > 0) hooks.onPayloads(counted.payloads);
      for (const sent of counted.sendTimes) hooks.onSendTime(sent);
      const closeError = closeErrorOf(messages);
      if (closeError !== undefined && ready) hooks.onClosed(closeError);
    });
    socket.on('close', (code) => {
      if (ready) hooks.onClosed(`socket closed (${code})`);
    });
  });
}

function openSocketIoSubscriber(target: ConnectTarget, hooks: SubscriberHooks): Promise<Closable> {
  const reader = new SocketIoFrameReader();
  const socket = new WebSocket(`ws://127.0.0.1:${target.port}${SOCKET_IO_PATH}`, { localAddress: target.localAddress, perMessageDeflate: false });
  let ready = false;
  return whenReady(socket, (markReady) => {
    socket.on('message', (data: Buffer) => {
      if (ready && isSocketIoPayload(data)) {
        hooks.onPayloads(1);
        if (!hooks.sampler.next()) return;
      }
      const frame = reader.read(data.toString('utf8'));
      switch (frame.kind) {
        case 'open': socket.send(SOCKET_IO_CONNECT); break;
        case 'connected': ready = true; markReady(); break;
        case 'ping': socket.send(ENGINE_IO_PONG); break;
        case 'close': if (ready) hooks.onClosed(frame.reason); socket.terminate(); break;
        case 'event': {
          const sent = socketIoSendTime(frame);
          if (sent !== undefined) hooks.onSendTime(sent);
          break;
        }
        default: break;
      }
    });
    socket.on('close', (code) => {
      if (ready) hooks.onClosed(`socket closed (${code})`);
    });
  });
}

function openWsSubscriber(target: ConnectTarget, hooks: SubscriberHooks): Promise<Closable> {
  const socket = new WebSocket(`ws://127.0.0.1:${target.port}/`, { localAddress: target.localAddress, perMessageDeflate: false });
  let ready = false;
  return whenReady(socket, (markReady) => {
    socket.on('open', () => {
      ready = true;
      markReady();
    });
    socket.on('message', (data: Buffer) => {
      if (!isWsPayload(data)) return;
      hooks.onPayloads(1);
      if (!hooks.sampler.next()) return;
      const frame = readWsFrame(data.toString('utf8'));
      if (frame.kind === 'tick') hooks.onSendTime(frame.sentMicros);
    });
    socket.on('close', (code) => {
      if (ready) hooks.onClosed(`socket closed (${code})`);
    });
  });
}

export interface Publisher extends Closable {
  /**
   * Sends one stamped payload; resolves when the server acknowledged its broadcast. The trade hub's
   * publisher sends a tick of `symbol` (EURUSD when absent); the others have one payload.
   */
  publish(symbol?: string): Promise<void>;
}

/** The publisher of `system`, on `port`: interop `SendToAll`, trade `Publish`, a Socket.IO ack'd emit, a ws message. */
export async function openPublisher(system: SystemId, port: number, token: string | undefined): Promise<Publisher> {
  switch (system) {
    case 'socketio': return openSocketIoPublisher(port);
    case 'ws': return openWsPublisher(port);
    default: return openSignalRPublisher(system, port, token);
  }
}

async function openSignalRPublisher(system: SystemId, port: number, token: string | undefined): Promise<Publisher> {
  const protocol = new JsonHubProtocol();
  const reader = new SignalRFrameReader('json');
  const url = `ws://127.0.0.1:${port}${signalRPath(system, token)}`;
  const socket = new WebSocket(url, { perMessageDeflate: false });
  const pending = new Map<string, { resolve: () => void; reject: (error: Error) => void }>();
  let nextId = 1;
  const failAll = (reason: string): void => {
    for (const waiter of pending.values()) waiter.reject(new Error(reason));
    pending.clear();
  };
  await whenReady(socket, (markReady) => {
    socket.on('open', () => socket.send(handshakeRequest('json')));
    socket.on('message', (data: Buffer) => {
      let messages;
      try {
        messages = reader.read(data);
      } catch (error) {
        failAll((error as Error).message);
        socket.terminate();
        return;
      }
      if (reader.handshaken) markReady();
      for (const message of messages) {
        if (message.type !== MessageType.Completion) continue;
        const waiter = pending.get(message.invocationId);
        if (!waiter) continue;
        pending.delete(message.invocationId);
        if (message.error) waiter.reject(new Error(`publish failed: ${message.error}`));
        else waiter.resolve();
      }
      const closeError = closeErrorOf(messages);
      if (closeError !== undefined) failAll(`publisher closed: ${closeError}`);
    });
    socket.on('close', (code) => failAll(`publisher socket closed (${code})`));
  });
  return {
    publish(symbol) {
      const invocationId = String(nextId++);
      const sent = nowMicros();
      const message = system === 'tradehub-interop-json'
        ? { type: MessageType.Invocation, invocationId, target: 'SendToAll', arguments: [JSON.stringify(benchTick(sent))] }
        : { type: MessageType.Invocation, invocationId, target: 'Publish', arguments: [[tradeTickEvent(sent, symbol)]] };
      return withTimeout(new Promise<void>((resolve, reject) => {
        pending.set(invocationId, { resolve, reject });
        socket.send(protocol.writeMessage(message));
      }));
    },
    close: () => socket.terminate(),
  };
}

async function openSocketIoPublisher(port: number): Promise<Publisher> {
  const socket = socketIoClient(`http://127.0.0.1:${port}`, { transports: ['websocket'], reconnection: false, timeout: CONNECT_TIMEOUT_MS });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (error) => reject(error));
  });
  return {
    publish: async () => {
      await socket.timeout(PUBLISH_TIMEOUT_MS).emitWithAck('publish', benchTick(nowMicros()));
    },
    close: () => socket.disconnect(),
  };
}

async function openWsPublisher(port: number): Promise<Publisher> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/publish`, { perMessageDeflate: false });
  const waiting: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  await whenReady(socket, (markReady) => {
    socket.on('open', markReady);
    socket.on('message', (data: Buffer) => {
      if (readWsFrame(data.toString('utf8')).kind === 'ack') waiting.shift()?.resolve();
    });
    socket.on('close', (code) => {
      for (const waiter of waiting.splice(0)) waiter.reject(new Error(`publisher socket closed (${code})`));
    });
  });
  return {
    publish() {
      return withTimeout(new Promise<void>((resolve, reject) => {
        waiting.push({ resolve, reject });
        socket.send(JSON.stringify(benchTick(nowMicros())));
      }));
    },
    close: () => socket.terminate(),
  };
}

function withTimeout(promise: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no acknowledgement within ${PUBLISH_TIMEOUT_MS} ms`)), PUBLISH_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A client-credentials token from a tradehub node. */
export async function fetchToken(port: number, clientId: string, clientSecret: string): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/connect/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
  });
  if (!response.ok) throw new Error(`token request for ${clientId} failed: ${response.status} ${await response.text()}`);
  const body = await response.json() as { access_token?: unknown };
  if (typeof body.access_token !== 'string') throw new Error(`token answer for ${clientId} has no access_token`);
  return body.access_token;
}
