import {
  JsonHubProtocol, MessagePackHubProtocol, MessageType, splitFrames, splitRecords, writeFrame, type HubProtocol, type ParsedMessage,
} from '@tradehub/server';
import { sentMicrosOf } from '../payload.js';
import { startsWithAny, type PayloadSampler } from './payload-sampler.js';

export type SignalRProtocolName = 'json' | 'messagepack';

const RECORD_SEPARATOR = 0x1e;
/** Far above any frame the benchmark expects; a frame this large is an error worth seeing. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export function handshakeRequest(protocol: SignalRProtocolName): string {
  return `${JSON.stringify({ protocol, version: 1 })}\x1e`;
}

export class SignalRFrameError extends Error {}

/** What one frame held, read the lean way (`readCounted`). */
export interface CountedFrame {
  /** Benchmark payload messages (`Message` / `OnEvent` invocations), counted by their first bytes. */
  payloads: number;
  /** Send times of the payloads the sampler chose, parsed in full. */
  sendTimes: readonly number[];
  /** Every other message (completions, pings, Close), parsed in full. */
  messages: readonly ParsedMessage[];
}

/**
 * What most frames hold besides payloads: nothing. Shared, so that the generator, which reads one
 * frame per subscriber per publish, allocates nothing for them (its per-delivery cost is the floor
 * of the fixed-rate rows' latency).
 */
const NO_SEND_TIMES: readonly number[] = Object.freeze([]);
const NO_MESSAGES: readonly ParsedMessage[] = Object.freeze([]);
const NO_BYTES = Buffer.alloc(0);

/** How the benchmark's payload messages begin in each protocol, as tradehub writes them. */
const PAYLOAD_PREFIXES: Record<SignalRProtocolName, Uint8Array[]> = {
  json: ['Message', 'OnEvent'].map((target) => Buffer.from(`{"type":1,"target":"${target}","arguments":[`)),
  // [1 (Invocation), {} (headers), nil (no invocation id), 'Message' | 'OnEvent', ...]: fixarray, 1, fixmap 0, nil, fixstr 7.
  messagepack: ['Message', 'OnEvent'].map((target) => Buffer.concat([Buffer.from([0x95, 0x01, 0x80, 0xc0, 0xa7]), Buffer.from(target)])),
};
const RECORD_SEPARATOR_BYTES = Buffer.from([RECORD_SEPARATOR]);

/**
 * Reads what a tradehub server sends one connection: first the handshake answer (JSON text up to the
 * record separator), then hub messages in the negotiated protocol, parsed by the server's own protocol class.
 */
export class SignalRFrameReader {
  private readonly protocol: HubProtocol;
  private handshakeDone = false;
  private pending: Buffer = NO_BYTES;

  constructor(private readonly protocolName: SignalRProtocolName) {
    this.protocol = protocolName === 'json' ? new JsonHubProtocol() : new MessagePackHubProtocol();
  }

  get handshaken(): boolean {
    return this.handshakeDone;
  }

  /** Every complete message in `data`, parsed in full; throws on a refused handshake or unreadable input. */
  read(data: Buffer): ParsedMessage[] {
    const input = this.afterHandshake(data);
    if (input.length === 0) return [];
    const { messages, remaining, error } = this.protocol.parseMessages(input, MAX_MESSAGE_BYTES);
    if (error) throw new SignalRFrameError(`Unreadable frame: ${error.message}`);
    this.keep(remaining);
    return messages;
  }

  /**
   * Every complete message in `data`, the lean way: payloads are counted by their first bytes and
   * only those `sampler` picks are parsed; anything else is parsed in full. Throws as `read` does.
   */
  readCounted(data: Buffer, sampler: PayloadSampler): CountedFrame {
    // The common case of a fan-out: JSON after the handshake, nothing pending from the last frame.
    if (this.protocolName === 'json' && this.handshakeDone && this.pending.length === 0) return this.readJsonRecords(data, sampler);
    let payloads = 0;
    let sendTimes: number[] | undefined;
    let messages: ParsedMessage[] | undefined;
    const input = this.afterHandshake(data);
    if (input.length === 0) return { payloads, sendTimes: NO_SEND_TIMES, messages: NO_MESSAGES };
    const json = this.protocolName === 'json';
    const split = json ? splitRecords(input, MAX_MESSAGE_BYTES) : splitFrames(input, MAX_MESSAGE_BYTES);
    const units = 'records' in split ? split.records : split.frames;
    if (split.error) throw new SignalRFrameError(`Unreadable frame: ${split.error.message}`);
    this.keep(split.remaining);
    const prefixes = PAYLOAD_PREFIXES[this.protocolName];
    for (const unit of units) {
      const payload = startsWithAny(unit, prefixes);
      if (payload) payloads++;
      if (payload && !sampler.next()) continue;
      // Parsed by the protocol class, which reads whole records (separator) or frames (length prefix).
      const framed = json ? Buffer.concat([unit, RECORD_SEPARATOR_BYTES]) : Buffer.from(writeFrame(unit));
      const parsed = this.protocol.parseMessages(framed, MAX_MESSAGE_BYTES);
      if (parsed.error) throw new SignalRFrameError(`Unreadable frame: ${parsed.error.message}`);
      if (payload) (sendTimes ??= []).push(...benchSendTimes(parsed.messages));
      else (messages ??= []).push(...parsed.messages);
    }
    return { payloads, sendTimes: sendTimes ?? NO_SEND_TIMES, messages: messages ?? NO_MESSAGES };
  }

  /**
   * `readCounted` for JSON records, walking the frame's separators in place: a record that is only
   * counted costs a prefix comparison, no copy (the generator's per-delivery cost is what the
   * fixed-rate rows' latency is made of). An unfinished record is kept for the next frame.
   */
  private readJsonRecords(data: Buffer, sampler: PayloadSampler): CountedFrame {
    let payloads = 0;
    let sendTimes: number[] | undefined;
    let messages: ParsedMessage[] | undefined;
    const prefixes = PAYLOAD_PREFIXES.json;
    let start = 0;
    for (let end = data.indexOf(RECORD_SEPARATOR, start); end !== -1; end = data.indexOf(RECORD_SEPARATOR, start)) {
      if (end - start > MAX_MESSAGE_BYTES) throw new SignalRFrameError(`Unreadable frame: a record of ${end - start} bytes`);
      const payload = startsWithAny(data, prefixes, start);
      if (payload) payloads++;
      if (!payload || sampler.next()) {
        const parsed = this.protocol.parseMessages(data.subarray(start, end + 1), MAX_MESSAGE_BYTES);
        if (parsed.error) throw new SignalRFrameError(`Unreadable frame: ${parsed.error.message}`);
        if (payload) (sendTimes ??= []).push(...benchSendTimes(parsed.messages));
        else (messages ??= []).push(...parsed.messages);
      }
      start = end + 1;
    }
    if (data.length - start > MAX_MESSAGE_BYTES) throw new SignalRFrameError(`Unreadable frame: a record of over ${MAX_MESSAGE_BYTES} bytes`);
    this.keep(data.subarray(start));
    return { payloads, sendTimes: sendTimes ?? NO_SEND_TIMES, messages: messages ?? NO_MESSAGES };
  }

  /** `data` after what is pending, minus the handshake answer while that has not been read. */
  private afterHandshake(data: Buffer): Buffer {
    let input = this.pending.length > 0 ? Buffer.concat([this.pending, data]) : data;
    this.pending = NO_BYTES;
    if (this.handshakeDone) return input;
    const end = input.indexOf(RECORD_SEPARATOR);
    if (end === -1) {
      this.pending = input;
      return NO_BYTES;
    }
    const answer = JSON.parse(input.subarray(0, end).toString('utf8')) as { error?: unknown };
    if (typeof answer.error === 'string') throw new SignalRFrameError(`Handshake refused: ${answer.error}`);
    this.handshakeDone = true;
    input = input.subarray(end + 1);
    return input;
  }

  /** Keeps an unfinished message (a copy: the frame's buffer may be reused) for the next frame. */
  private keep(remaining: Buffer): void {
    this.pending = remaining.length > 0 ? Buffer.from(remaining) : NO_BYTES;
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
