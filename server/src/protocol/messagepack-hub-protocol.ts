import { Decoder, Encoder } from '@msgpack/msgpack';
import { splitFrames, writeFrame } from './binary-message-format.js';
import type { HubProtocol, ParseResult } from './hub-protocol.js';
import { MessageType, type HubMessage, type MessageHeaders, type ParsedMessage } from './messages.js';
import { InvalidDataError } from './protocol-error.js';

/** Completion result kinds (HubProtocol.md, "Completion Message Encoding"). */
const ResultKind = { Error: 1, Void: 2, NonVoid: 3 } as const;

/**
 * The MessagePack hub protocol: each message an array whose first element is its type,
 * framed by a VarInt length (HubProtocol.md, "MessagePack (MsgPack) encoding").
 */
export class MessagePackHubProtocol implements HubProtocol {
  readonly name = 'messagepack';
  readonly version = 2;
  readonly transferFormat = 'Binary' as const;
  private readonly encoder = new Encoder({ ignoreUndefined: true });
  private readonly decoder = new Decoder();

  parseMessages(input: Buffer, maxMessageSize: number): ParseResult {
    const { frames, remaining, error } = splitFrames(input, maxMessageSize);
    const messages: ParsedMessage[] = [];
    for (const frame of frames) {
      try {
        const message = this.parseFrame(frame);
        if (message) messages.push(message);
      } catch (parseError) {
        if (!(parseError instanceof InvalidDataError)) throw parseError;
        return { messages, remaining: Buffer.alloc(0), error: parseError };
      }
    }
    return { messages, remaining, ...(error ? { error } : {}) };
  }

  writeMessage(message: HubMessage): Uint8Array {
    return writeFrame(this.encoder.encode(toArray(message)));
  }

  private parseFrame(frame: Buffer): ParsedMessage | undefined {
    let value: unknown;
    try {
      value = this.decoder.decode(frame);
    } catch {
      throw new InvalidDataError('Error reading MessagePack.');
    }
    if (!Array.isArray(value) || value.length === 0) throw new InvalidDataError('Expected a MessagePack array.');
    const fields: unknown[] = value;
    const type = fields[0];
    if (typeof type !== 'number') throw new InvalidDataError('Expected the message type to be an Integer.');
    switch (type) {
      case MessageType.Invocation:
      case MessageType.StreamInvocation:
        return readInvocation(fields, type);
      case MessageType.StreamItem:
        need(fields, 4, 'StreamItem');
        return { type, headers: readHeaders(fields[1]), invocationId: readId(fields[2], 'StreamItem'), item: fields[3] };
      case MessageType.Completion:
        return readCompletion(fields);
      case MessageType.CancelInvocation:
        need(fields, 3, 'CancelInvocation');
        return { type, headers: readHeaders(fields[1]), invocationId: readId(fields[2], 'CancelInvocation') };
      case MessageType.Ping:
        return { type };
      case MessageType.Close:
        return {
          type,
          ...(typeof fields[1] === 'string' ? { error: fields[1] } : {}),
          ...(typeof fields[2] === 'boolean' ? { allowReconnect: fields[2] } : {}),
        };
      case MessageType.Ack:
      case MessageType.Sequence:
        need(fields, 2, type === MessageType.Ack ? 'Ack' : 'Sequence');
        if (!Number.isSafeInteger(fields[1])) throw new InvalidDataError('Expected the sequence id to be an Integer.');
        return { type, sequenceId: fields[1] as number };
      default:
        // Unknown types come from newer peers; the official server ignores them too.
        return undefined;
    }
  }
}

function readInvocation(fields: unknown[], type: 1 | 4): ParsedMessage {
  need(fields, 5, type === MessageType.Invocation ? 'Invocation' : 'StreamInvocation');
  const headers = readHeaders(fields[1]);
  const rawId = fields[2];
  if (rawId !== null && rawId !== undefined && typeof rawId !== 'string') throw new InvalidDataError('Expected the invocation id to be a String.');
  const invocationId = typeof rawId === 'string' && rawId !== '' ? rawId : undefined;
  if (type === MessageType.StreamInvocation && invocationId === undefined) throw new InvalidDataError('A StreamInvocation needs an invocation id.');
  const target = fields[3];
  const invalid = (reason: string): ParsedMessage => {
    if (invocationId === undefined) throw new InvalidDataError(reason);
    return { type: 'invalid', invocationId, ...(typeof target === 'string' && target !== '' ? { target } : {}), reason };
  };
  if (typeof target !== 'string' || target === '') return invalid('Expected the target to be a non-empty String.');
  if (!Array.isArray(fields[4])) return invalid('Expected the arguments to be an Array.');
  const streamIds = fields[5];
  if (streamIds !== undefined && streamIds !== null
    && (!Array.isArray(streamIds) || !streamIds.every((id) => typeof id === 'string'))) {
    return invalid('Expected the stream ids to be an Array of String.');
  }
  const common = {
    headers,
    target,
    arguments: fields[4] as unknown[],
    ...(Array.isArray(streamIds) && streamIds.length > 0 ? { streamIds: streamIds as string[] } : {}),
  };
  return type === MessageType.Invocation
    ? { type, ...(invocationId !== undefined ? { invocationId } : {}), ...common }
    : { type, invocationId: invocationId as string, ...common };
}

function readCompletion(fields: unknown[]): ParsedMessage {
  need(fields, 4, 'Completion');
  const headers = readHeaders(fields[1]);
  const invocationId = readId(fields[2], 'Completion');
  switch (fields[3]) {
    case ResultKind.Error:
      if (typeof fields[4] !== 'string') throw new InvalidDataError('Expected the error of a Completion to be a String.');
      return { type: MessageType.Completion, headers, invocationId, error: fields[4] };
    case ResultKind.Void:
      return { type: MessageType.Completion, headers, invocationId };
    case ResultKind.NonVoid:
      need(fields, 5, 'Completion');
      return { type: MessageType.Completion, headers, invocationId, result: fields[4] };
    default:
      throw new InvalidDataError('Invalid result kind in a Completion.');
  }
}

function need(fields: unknown[], count: number, kind: string): void {
  if (fields.length < count) throw new InvalidDataError(`Invalid payload for ${kind} message.`);
}

function readId(value: unknown, kind: string): string {
  if (typeof value !== 'string' || value === '') throw new InvalidDataError(`Expected the invocation id of a ${kind} message to be a non-empty String.`);
  return value;
}

function readHeaders(value: unknown): MessageHeaders {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new InvalidDataError('Expected the headers to be a Map.');
  const headers: MessageHeaders = {};
  for (const [key, header] of Object.entries(value)) if (typeof header === 'string') headers[key] = header;
  return headers;
}

/** The array layout of each message type, as the official clients read it. */
function toArray(message: HubMessage): unknown[] {
  switch (message.type) {
    case MessageType.Invocation:
    case MessageType.StreamInvocation:
      return [message.type, message.headers ?? {}, message.invocationId ?? null, message.target, message.arguments,
        ...(message.streamIds ? [message.streamIds] : [])];
    case MessageType.StreamItem:
      return [message.type, message.headers ?? {}, message.invocationId, message.item];
    case MessageType.Completion:
      if (message.error !== undefined) return [message.type, message.headers ?? {}, message.invocationId, ResultKind.Error, message.error];
      if (message.result !== undefined) return [message.type, message.headers ?? {}, message.invocationId, ResultKind.NonVoid, message.result];
      return [message.type, message.headers ?? {}, message.invocationId, ResultKind.Void];
    case MessageType.CancelInvocation:
      return [message.type, message.headers ?? {}, message.invocationId];
    case MessageType.Ping:
      return [message.type];
    case MessageType.Close:
      return [message.type, message.error ?? null, message.allowReconnect ?? false];
    case MessageType.Ack:
    case MessageType.Sequence:
      return [message.type, message.sequenceId];
  }
}
