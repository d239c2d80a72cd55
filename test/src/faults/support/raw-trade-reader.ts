import type { SubscribeResult, TradeEnvelope } from '@tradehub/shared';
import { RawHubSocket, RS } from '../../support/raw-socket.js';
import type { ReaderLog } from './delivery-ledger.js';

type JsonMessage = Record<string, unknown>;

/**
 * A trade hub reader on a bare WebSocket, so that a test can stop reading its socket (a client
 * that does not keep up) and see exactly what the hub sent, Close included.
 */
export class RawTradeReader {
  /** Last (epoch, seq) received per topic: what a reconnect resumes from. */
  readonly positions = new Map<string, { epoch: string; seq: number }>();
  private pending: JsonMessage[] = [];
  private invocations = 0;

  private constructor(readonly raw: RawHubSocket, readonly connectionId: string, private readonly log: ReaderLog) {}

  /** Connects, shakes hands and reads the hub's greeting (OnConnectionStatus, with the connection id). */
  static async open(hubUrl: string, token: string, log: ReaderLog): Promise<RawTradeReader> {
    const raw = await RawHubSocket.open(hubUrl, { Authorization: `Bearer ${token}` });
    await raw.handshake();
    const probe = new RawTradeReader(raw, '', log);
    const greeting = await probe.nextOf((message) => message.type === 1 && message.target === 'OnConnectionStatus');
    const status = (greeting.arguments as Array<{ connectionId?: string }>)[0];
    return new RawTradeReader(raw, String(status?.connectionId), log);
  }

  /** Subscribes (resuming from `positions` when it has them) and records resumed events as received. */
  async subscribe(topics: readonly string[]): Promise<SubscribeResult[]> {
    const invocationId = String(++this.invocations);
    const resume = Object.fromEntries([...this.positions].filter(([topic]) => topics.includes(topic)));
    this.raw.send(JSON.stringify({ type: 1, invocationId, target: 'Subscribe', arguments: Object.keys(resume).length > 0 ? [topics, resume] : [topics] }) + RS);
    const completion = await this.nextOf((message) => message.type === 3 && message.invocationId === invocationId, 10_000);
    if (completion.error !== undefined) throw new Error(`Subscribe failed: ${String(completion.error)}`);
    const results = completion.result as SubscribeResult[];
    topics.forEach((topic, index) => {
      const result = results[index];
      if (result?.status === 'resumed') for (const envelope of result.events) this.received(envelope);
      else if (result?.status === 'snapshot' && !this.positions.has(topic)) this.positions.set(topic, { epoch: result.epoch, seq: result.seq });
    });
    return results;
  }

  /** Reads messages (recording events) until the hub's Close; returns it. */
  async readUntilClose(timeoutMs: number): Promise<JsonMessage> {
    return this.nextOf((message) => message.type === 7, timeoutMs);
  }

  /**
   * Reads messages (recording events) while `condition` holds. Returns at once, reading nothing,
   * when it does not hold to begin with: a condition about events still to be published must not
   * be true before they are.
   */
  async readWhile(condition: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (condition()) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`raw reader: still waiting after ${timeoutMs} ms`);
      this.handle(await this.nextMessage(remaining));
    }
  }

  close(): void {
    this.raw.close();
  }

  private async nextOf(match: (message: JsonMessage) => boolean, timeoutMs = 5_000): Promise<JsonMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const message = await this.nextMessage(Math.max(1, deadline - Date.now()));
      if (match(message)) return message;
      this.handle(message);
    }
  }

  private handle(message: JsonMessage): void {
    if (message.type === 1 && message.target === 'OnEvent') this.received((message.arguments as TradeEnvelope[])[0] as TradeEnvelope);
  }

  private received(envelope: TradeEnvelope): void {
    this.log.event(envelope);
    this.positions.set(envelope.topic, { epoch: envelope.epoch, seq: envelope.seq });
  }

  /** One message; a frame may carry several, separated by the record separator. */
  private async nextMessage(timeoutMs: number): Promise<JsonMessage> {
    for (;;) {
      const queued = this.pending.shift();
      if (queued) return queued;
      const text = await this.raw.nextText(timeoutMs);
      this.pending = text.split(RS).filter((part) => part !== '').map((part) => JSON.parse(part) as JsonMessage);
    }
  }
}
