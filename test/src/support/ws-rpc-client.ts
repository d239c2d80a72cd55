import assert from 'node:assert/strict';
import type { ResyncNotice, TradeEnvelope } from '@tradehub/shared';
import WebSocket from 'ws';
import { waitUntil } from './wait.js';

export interface WsRpcAnswer {
  jsonrpc: '2.0';
  id: string | number | null;
  result?: any;
  error?: { code: number; message: string; data?: any };
}

export interface WsClosure {
  code: number;
  reason: string;
  at: number;
}

/**
 * A `/ws` client as a user's script would write it: a plain `ws` WebSocket sending JSON-RPC
 * text frames, recording every answer, notification and the close.
 */
export class WsRpcClient {
  /** Every frame received, parsed, in order. */
  readonly received: unknown[] = [];
  closure: WsClosure | undefined;
  private nextId = 1;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.received.push(JSON.parse(String(data))));
    socket.on('close', (code, reason) => {
      this.closure = { code, reason: reason.toString('utf8'), at: Date.now() };
    });
    socket.on('error', () => undefined);
  }

  /** Opens `/ws` of `baseUrl` (http URL) with the token in the header, or in the query with `inQuery`. */
  static async connect(baseUrl: string, token: string, options: { inQuery?: boolean; wsOptions?: WebSocket.ClientOptions } = {}): Promise<WsRpcClient> {
    const url = `${baseUrl.replace(/^http/, 'ws')}/ws${options.inQuery ? `?access_token=${encodeURIComponent(token)}` : ''}`;
    const socket = new WebSocket(url, { ...(options.inQuery ? {} : { headers: { Authorization: `Bearer ${token}` } }), ...options.wsOptions });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    return new WsRpcClient(socket);
  }

  get events(): TradeEnvelope[] {
    return this.notifications('event') as TradeEnvelope[];
  }

  get resyncs(): ResyncNotice[] {
    return this.notifications('resync') as ResyncNotice[];
  }

  notifications(method: string): unknown[] {
    return this.received.flatMap((message) => isNotification(message) && message.method === method ? [message.params] : []);
  }

  /** Sends `text` as one text frame. */
  sendText(text: string): void {
    this.socket.send(text);
  }

  /** Sends one request and waits for its answer (by id). */
  async request(method: string, params?: unknown): Promise<WsRpcAnswer> {
    const id = this.nextId++;
    this.sendText(JSON.stringify({ jsonrpc: '2.0', method, ...(params !== undefined ? { params } : {}), id }));
    return this.answerTo(id);
  }

  /** The result of a request that must succeed. */
  async call(method: string, params?: unknown): Promise<any> {
    const answer = await this.request(method, params);
    assert.equal(answer.error, undefined, `${method}: ${JSON.stringify(answer.error)}`);
    return answer.result;
  }

  async answerTo(id: string | number | null, timeoutMs = 5_000): Promise<WsRpcAnswer> {
    let found: WsRpcAnswer | undefined;
    await waitUntil(() => (found = this.answers().find((answer) => answer.id === id)) !== undefined, `the answer to request ${String(id)}`, timeoutMs);
    return found as WsRpcAnswer;
  }

  /** Frames that are answers (single or batch), in order. */
  frames(): unknown[] {
    return this.received.filter((message) => !isNotification(message));
  }

  async waitForEvents(count: number, topic?: string, timeoutMs = 5_000): Promise<TradeEnvelope[]> {
    const list = (): TradeEnvelope[] => this.events.filter((event) => topic === undefined || event.topic === topic);
    await waitUntil(() => list().length >= count, () => `${count} event notification(s) (have ${list().length})`, timeoutMs);
    return list();
  }

  async closed(timeoutMs = 5_000): Promise<WsClosure> {
    await waitUntil(() => this.closure !== undefined, 'the /ws socket to close', timeoutMs);
    return this.closure as WsClosure;
  }

  close(): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.terminate();
  }

  private answers(): WsRpcAnswer[] {
    return this.received.flatMap((message) => Array.isArray(message) ? message as WsRpcAnswer[] : isNotification(message) ? [] : [message as WsRpcAnswer]);
  }
}

function isNotification(message: unknown): message is { method: string; params: unknown } {
  return typeof message === 'object' && message !== null && !Array.isArray(message) && 'method' in message && !('id' in message);
}
