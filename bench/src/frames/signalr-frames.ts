import {
  JsonHubProtocol, MessagePackHubProtocol, MessageType, splitFrames, writeFrame, type HubProtocol, type ParsedMessage,
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

/** One frame's count: payloads by their first bytes; the sampled ones and every other message parsed. */
class FrameTally {
  private payloads = 0;
  private sendTimes: number[] | undefined;
  private messages: ParsedMessage[] | undefined;

  constructor(private readonly sampler: PayloadSampler) {}

  /** Counts a record or frame; whether to parse it: every other message, and the payloads the sampler picks. */
  wantsParsed(payload: boolean): boolean {
    if (!payload) return true;
    this.payloads++;
    return this.sampler.next();
  }

  add(parsed: readonly ParsedMessage[], payload: boolean): void {
    if (payload) (this.sendTimes ??= []).push(...benchSendTimes(parsed));
    else (this.messages ??= []).push(...parsed);
  }

  result(): CountedFrame {
    return { payloads: this.payloads, sendTimes: this.sendTimes ?? NO_SEND_TIMES, messages: this.messages ?? NO_MESSAGES };
  }
}

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
    const tally = new FrameTally(sampler);
    const input = this.afterHandshake(data);
    if (input.length === 0) return tally.result();
    if (this.protocolName === 'json') this.countRecords(input, tally);
    else this.countFrames(input, tally);
    return tally.result();
  }

  /**
   * JSON records, found in place by their separators: a record that is only counted costs a prefix
   * comparison, no copy (the generator's per-delivery cost is what the fixed-rate rows' latency is
   * made of). An unfinished record is kept for the next frame.
   */
  private countRecords(input: Buffer, tally: FrameTally): void {
    let start = 0;
    for (let end = input.indexOf(RECORD_SEPARATOR, start); end !== -1; end = input.indexOf(RECORD_SEPARATOR, start)) {
      if (end - start > MAX_MESSAGE_BYTES) throw new SignalRFrameError(`Unreadable frame: a record of ${end - start} bytes`);
      const payload = startsWithAny(input, PAYLOAD_PREFIXES.json, start);
      if (tally.wantsParsed(payload)) tally.add(this.parse(input.subarray(start, end + 1)), payload);
      start = end + 1;
    }
    if (input.length - start > MAX_MESSAGE_BYTES) throw new SignalRFrameError(`Unreadable frame: a record of over ${MAX_MESSAGE_BYTES} bytes`);
    this.keep(input.subarray(start));
  }

  /** MessagePack frames (length prefix); an unfinished one is kept for the next frame. */
  private countFrames(input: Buffer, tally: FrameTally): void {
    const split = splitFrames(input, MAX_MESSAGE_BYTES);
    if (split.error) throw new SignalRFrameError(`Unreadable frame: ${split.error.message}`);
    this.keep(split.remaining);
    for (const frame of split.frames) {
      const payload = startsWithAny(frame, PAYLOAD_PREFIXES.messagepack);
      // Parsed by the protocol class, which reads whole frames with their length prefix.
      if (tally.wantsParsed(payload)) tally.add(this.parse(Buffer.from(writeFrame(frame))), payload);
    }
  }

  /** The messages of one whole record or frame; throws on unreadable input. */
  private parse(unit: Buffer): ParsedMessage[] {
    const { messages, error } = this.protocol.parseMessages(unit, MAX_MESSAGE_BYTES);
    if (error) throw new SignalRFrameError(`Unreadable frame: ${error.message}`);
    return messages;
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
