import WebSocket from 'ws';
import type { ResumePositions, SubscribeResult, TradeEnvelope } from '@tradehub/shared';
import { JsonHubProtocol } from '../protocol/json-hub-protocol.js';
import { MessagePackHubProtocol } from '../protocol/messagepack-hub-protocol.js';
import type { HubProtocol } from '../protocol/hub-protocol.js';
import { MessageType, type HubMessage, type ParsedMessage } from '../protocol/messages.js';
import { RECORD_SEPARATOR_CODE } from '../protocol/text-message-format.js';
import { nowMs, type ClientClosure, type LoadClient } from './load-client.js';
import type { WireProtocol } from './options.js';

const PROTOCOLS: Record<WireProtocol, HubProtocol> = { json: new JsonHubProtocol(), messagepack: new MessagePackHubProtocol() };
/** Largest message the tool reads; a resume answer can be large. */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
const CONNECT_TIMEOUT_MS = 30_000;
const INVOCATION_TIMEOUT_MS = 60_000;
/** The official client's keep-alive interval. */
const KEEP_ALIVE_MS = 15_000;

/**
 * One timer pings every connected raw client each 15 s, as the official client does on its own:
 * the hub sends its pings only while idle, so a client that only answered them would be closed
 * by the client time-out while events stream. One timer, not one per connection, for 50k clients.
 */
class KeepAlive {
  private readonly clients = new Set<RawLoadClient>();
  private timer?: NodeJS.Timeout;

  add(client: RawLoadClient): void {
    this.clients.add(client);
    if (!this.timer) {
      this.timer = setInterval(() => {
        for (const each of this.clients) each.ping();
      }, KEEP_ALIVE_MS);
      this.timer.unref();
    }
  }

  delete(client: RawLoadClient): void {
    this.clients.delete(client);
    if (this.clients.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
const keepAlive = new KeepAlive();

export interface RawClientOptions {
  hubUrl: URL;
  token: string;
  protocol: WireProtocol;
  localAddress?: string;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * A lean trade-hub client on a bare `ws` socket, for scale: the server's own protocol classes
 * frame and parse, the handshake and pings are answered, invocations are matched to their
 * completions, and OnEvent is handed over as it is read. No reconnect logic: scenarios decide.
 */
export class RawLoadClient implements LoadClient {
  onEvent: (envelope: TradeEnvelope, receivedAt: number) => void = () => {};
  onClosed: (closure: ClientClosure) => void = () => {};
  private socket?: WebSocket;
  private readonly protocol: HubProtocol;
  private buffer: Buffer = Buffer.alloc(0);
  private handshakeDone = false;
  private greeted?: () => void;
  private readonly pending = new Map<string, Pending>();
  private nextInvocationId = 0;
  private closure: ClientClosure = {};
  private ended = false;

  constructor(readonly index: number, private readonly options: RawClientOptions) {
    this.protocol = PROTOCOLS[options.protocol];
  }

  connect(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const url = new URL(this.options.hubUrl);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      const socket = new WebSocket(url, {
        headers: { authorization: `Bearer ${this.options.token}` },
        perMessageDeflate: false,
        handshakeTimeout: CONNECT_TIMEOUT_MS,
        ...(this.options.localAddress ? { localAddress: this.options.localAddress } : {}),
      });
      socket.binaryType = 'nodebuffer';
      this.socket = socket;
      const timer = setTimeout(() => fail(new Error('no greeting from the hub within 30 s')), CONNECT_TIMEOUT_MS);
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.terminate();
        reject(error);
      };
      this.greeted = () => {
        keepAlive.add(this);
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve();
      };
      socket.on('unexpected-response', (_request, response) => fail(new Error(`HTTP ${response.statusCode} on the WebSocket upgrade`)));
      socket.on('error', (error) => fail(error));
      socket.on('open', () => {
        socket.send(JSON.stringify({ protocol: this.options.protocol, version: 1 }) + '\x1e');
      });
      socket.on('message', (data: Buffer) => this.read(data));
      socket.on('close', (code) => {
        fail(new Error(this.closure.closeError ? `closed by the hub: ${this.closure.closeError}` : `socket closed (${code}) before the greeting`));
        this.end({ ...this.closure, code });
      });
    });
  }

  subscribe(topics: readonly string[], resume?: ResumePositions): Promise<SubscribeResult[]> {
    return this.invoke<SubscribeResult[]>('Subscribe', resume && Object.keys(resume).length > 0 ? [topics, resume] : [topics]);
  }

  invoke<T>(target: string, args: unknown[]): Promise<T> {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return Promise.reject(new Error(`cannot invoke ${target}: not connected`));
    const invocationId = String(++this.nextInvocationId);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(invocationId);
        reject(new Error(`${target}: no completion within ${INVOCATION_TIMEOUT_MS / 1000} s`));
      }, INVOCATION_TIMEOUT_MS);
      this.pending.set(invocationId, { resolve: resolve as (value: unknown) => void, reject, timer });
      socket.send(this.protocol.writeMessage({ type: MessageType.Invocation, invocationId, target, arguments: args }));
    });
  }

  drop(): void {
    this.socket?.terminate();
  }

  async close(): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socket.terminate();
        resolve();
      }, 2_000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (socket.readyState === WebSocket.OPEN) socket.send(this.protocol.writeMessage({ type: MessageType.Close }));
      socket.close();
    });
  }

  /**
   * Stops reading, but keeps pinging (see `KeepAlive`): a consumer that is alive yet too slow,
   * which the hub must judge by its byte budget, not by its client time-out.
   */
  pauseReading(): void {
    this.socket?.pause();
  }

  resumeReading(): void {
    this.socket?.resume();
  }

  /** Sends the keep-alive Ping every SignalR client sends (the hub closes clients silent for 30 s). */
  ping(): void {
    this.send({ type: MessageType.Ping });
  }

  private read(data: Buffer): void {
    const receivedAt = nowMs();
    this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
    if (!this.handshakeDone) {
      const end = this.buffer.indexOf(RECORD_SEPARATOR_CODE);
      if (end === -1) return;
      const answer = JSON.parse(this.buffer.subarray(0, end).toString('utf8')) as { error?: string };
      this.buffer = this.buffer.subarray(end + 1);
      if (answer.error) {
        this.closure.closeError = `handshake refused: ${answer.error}`;
        this.socket?.close();
        return;
      }
      this.handshakeDone = true;
    }
    if (this.buffer.length === 0) return;
    const { messages, remaining, error } = this.protocol.parseMessages(this.buffer, MAX_MESSAGE_BYTES);
    this.buffer = remaining;
    for (const message of messages) this.handle(message, receivedAt);
    if (error) {
      this.closure.closeError = `unreadable message from the hub: ${error.message}`;
      this.socket?.terminate();
    }
  }

  private handle(message: ParsedMessage, receivedAt: number): void {
    switch (message.type) {
      case MessageType.Invocation:
        if (message.target === 'OnEvent') this.onEvent(message.arguments[0] as TradeEnvelope, receivedAt);
        else if (message.target === 'OnConnectionStatus') this.greeted?.();
        return;
      case MessageType.Completion: {
        const pending = this.pending.get(message.invocationId);
        if (!pending) return;
        this.pending.delete(message.invocationId);
        clearTimeout(pending.timer);
        if (message.error !== undefined) pending.reject(new Error(message.error));
        else pending.resolve(message.result);
        return;
      }
      case MessageType.Ping:
        // The hub's keep-alive; clients do not answer it (they send their own, see KeepAlive).
        return;
      case MessageType.Close:
        this.closure = { closeError: message.error ?? '', ...(message.allowReconnect !== undefined ? { allowReconnect: message.allowReconnect } : {}) };
        return;
      default:
        return;
    }
  }

  private send(message: HubMessage): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(this.protocol.writeMessage(message));
  }

  private end(closure: ClientClosure): void {
    if (this.ended) return;
    this.ended = true;
    keepAlive.delete(this);
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new Error('connection closed'));
    }
    this.pending.clear();
    this.onClosed(closure);
  }
}
