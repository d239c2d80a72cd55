import { JsonHubProtocol, MessagePackHubProtocol, MessageType, type HubProtocol, type ParsedMessage } from '@tradehub/server';
import { sentMicrosOf } from '../payload.js';

export type SignalRProtocolName = 'json' | 'messagepack';

const RECORD_SEPARATOR = 0x1e;
/** Far above any frame the benchmark expects; a frame this large is an error worth seeing. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export function handshakeRequest(protocol: SignalRProtocolName): string {
  return `${JSON.stringify({ protocol, version: 1 })}\x1e`;
}

export class SignalRFrameError extends Error {}

/**
 * Reads what a tradehub server sends one connection: first the handshake answer (JSON text up to the
 * record separator), then hub messages in the negotiated protocol, parsed by the server's own protocol class.
 */
export class SignalRFrameReader {
  private readonly protocol: HubProtocol;
  private handshakeDone = false;
  private pending: Buffer = Buffer.alloc(0);

  constructor(protocol: SignalRProtocolName) {
    this.protocol = protocol === 'json' ? new JsonHubProtocol() : new MessagePackHubProtocol();
  }

  get handshaken(): boolean {
    return this.handshakeDone;
  }

  /** Every complete message in `data`; throws on a refused handshake or unreadable input. */
  read(data: Buffer): ParsedMessage[] {
    let input = this.pending.length > 0 ? Buffer.concat([this.pending, data]) : data;
    this.pending = Buffer.alloc(0);
    if (!this.handshakeDone) {
      const end = input.indexOf(RECORD_SEPARATOR);
      if (end === -1) {
        this.pending = input;
        return [];
      }
      const answer = JSON.parse(input.subarray(0, end).toString('utf8')) as { error?: unknown };
      if (typeof answer.error === 'string') throw new SignalRFrameError(`Handshake refused: ${answer.error}`);
      this.handshakeDone = true;
      input = input.subarray(end + 1);
    }
    if (input.length === 0) return [];
    const { messages, remaining, error } = this.protocol.parseMessages(input, MAX_MESSAGE_BYTES);
    if (error) throw new SignalRFrameError(`Unreadable frame: ${error.message}`);
    this.pending = remaining.length > 0 ? Buffer.from(remaining) : Buffer.alloc(0);
    return messages;
  }
}

/** Send times of the benchmark payloads among `messages`: `Message(text)` of the interop hub, `OnEvent(envelope)` of the trade hub. */
export function benchSendTimes(messages: readonly ParsedMessage[]): number[] {
  const times: number[] = [];
  for (const message of messages) {
    if (message.type !== MessageType.Invocation) continue;
    if (message.target !== 'Message' && message.target !== 'OnEvent') continue;
    const sent = sentMicrosOf(message.arguments[0]);
    if (sent !== undefined) times.push(sent);
  }
  return times;
}

export function closeErrorOf(messages: readonly ParsedMessage[]): string | undefined {
  for (const message of messages) {
    if (message.type === MessageType.Close) return message.error ?? 'closed by the server';
  }
  return undefined;
}
