import type { HubProtocol, ParseResult } from './hub-protocol.js';
import { MessageType, type HubMessage, type ParsedMessage } from './messages.js';
import { InvalidDataError } from './protocol-error.js';
import { RECORD_SEPARATOR, splitRecords } from './text-message-format.js';
import { stringifyWithDotnetValues } from './dotnet-json.js';

type JsonObject = Record<string, unknown>;

/** The JSON hub protocol (HubProtocol.md, "JSON Encoding"); version 2 adds Ack and Sequence. */
export class JsonHubProtocol implements HubProtocol {
  readonly name = 'json';
  readonly version = 2;
  readonly transferFormat = 'Text' as const;

  parseMessages(input: Buffer, maxMessageSize: number): ParseResult {
    const { records, remaining, error } = splitRecords(input, maxMessageSize);
    const messages: ParsedMessage[] = [];
    for (const record of records) {
      try {
        const message = parseRecord(record);
        if (message) messages.push(message);
      } catch (parseError) {
        if (!(parseError instanceof InvalidDataError)) throw parseError;
        return { messages, remaining: Buffer.alloc(0), error: parseError };
      }
    }
    return { messages, remaining, ...(error ? { error } : {}) };
  }

  /** Bytes and dates in arguments, results and items are written as .NET writes them (base64, ISO-8601). */
  writeMessage(message: HubMessage): string {
    return stringifyWithDotnetValues(message, payloadOf(message)) + RECORD_SEPARATOR;
  }
}

/** The part of a message that carries hub values; the rest is strings and numbers of the protocol's own. */
function payloadOf(message: HubMessage): unknown {
  switch (message.type) {
    case MessageType.Invocation:
    case MessageType.StreamInvocation:
      return message.arguments;
    case MessageType.StreamItem:
      return message.item;
    case MessageType.Completion:
      return message.result;
    default:
      return undefined;
  }
}

function parseRecord(record: Buffer): ParsedMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(record.toString('utf8'));
  } catch {
    throw new InvalidDataError('Error reading JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidDataError('Expected a JSON object.');
  }
  const json = value as JsonObject;
  if (json.type === undefined) throw new InvalidDataError("Missing required property 'type'.");
  if (typeof json.type !== 'number') throw new InvalidDataError("Expected 'type' to be of type Integer.");
  switch (json.type) {
    case MessageType.Invocation:
    case MessageType.StreamInvocation:
      return parseInvocation(json, json.type);
    case MessageType.StreamItem:
      return withInvocationId(json, 'StreamItem', (invocationId) => {
        if (!('item' in json)) throw new InvalidDataError("Missing required property 'item'.");
        return { type: MessageType.StreamItem, ...headersOf(json), invocationId, item: json.item };
      });
    case MessageType.Completion:
      return withInvocationId(json, 'Completion', (invocationId) => parseCompletion(json, invocationId));
    case MessageType.CancelInvocation:
      return withInvocationId(json, 'CancelInvocation', (invocationId) => ({ type: MessageType.CancelInvocation, ...headersOf(json), invocationId }));
    case MessageType.Ping:
      return { type: MessageType.Ping };
    case MessageType.Close:
      return {
        type: MessageType.Close,
        ...(typeof json.error === 'string' ? { error: json.error } : {}),
        ...(typeof json.allowReconnect === 'boolean' ? { allowReconnect: json.allowReconnect } : {}),
      };
    case MessageType.Ack:
    case MessageType.Sequence:
      if (typeof json.sequenceId !== 'number' || !Number.isSafeInteger(json.sequenceId)) {
        throw new InvalidDataError("Expected 'sequenceId' to be of type Integer.");
      }
      return { type: json.type, sequenceId: json.sequenceId };
    default:
      // Unknown types come from newer peers; the official server ignores them too.
      return undefined;
  }
}

function parseInvocation(json: JsonObject, type: 1 | 4): ParsedMessage {
  const rawId = json.invocationId;
  if (rawId !== undefined && rawId !== null && typeof rawId !== 'string') {
    throw new InvalidDataError("Expected 'invocationId' to be of type String.");
  }
  const invocationId = typeof rawId === 'string' && rawId !== '' ? rawId : undefined;
  if (type === MessageType.StreamInvocation && invocationId === undefined) {
    throw new InvalidDataError("Missing required property 'invocationId'.");
  }
  const target = json.target;
  if (typeof target !== 'string' || target === '') {
    return invalid(invocationId, undefined, "Expected 'target' to be a non-empty String.");
  }
  if (!Array.isArray(json.arguments)) {
    return invalid(invocationId, target, json.arguments === undefined
      ? "Missing required property 'arguments'."
      : "Expected 'arguments' to be of type Array.");
  }
  const streamIds = json.streamIds;
  if (streamIds !== undefined && streamIds !== null
    && (!Array.isArray(streamIds) || !streamIds.every((id) => typeof id === 'string'))) {
    return invalid(invocationId, target, "Expected 'streamIds' to be an Array of String.");
  }
  const common = {
    ...headersOf(json),
    target,
    arguments: json.arguments as unknown[],
    ...(Array.isArray(streamIds) && streamIds.length > 0 ? { streamIds: streamIds as string[] } : {}),
  };
  return type === MessageType.Invocation
    ? { type, ...(invocationId !== undefined ? { invocationId } : {}), ...common }
    : { type, invocationId: invocationId as string, ...common };
}

/**
 * A Completion the client sends (a client result, the end of a client stream) answers the
 * server's own id: an unreadable one cannot be answered with a Completion error, so it closes
 * the connection, as in ASP.NET.
 */
function parseCompletion(json: JsonObject, invocationId: string): ParsedMessage {
  if (json.error !== undefined && json.error !== null) {
    if (typeof json.error !== 'string') throw new InvalidDataError("Expected 'error' to be of type String.");
    if ('result' in json && json.result !== null && json.result !== undefined) {
      throw new InvalidDataError("The 'error' and 'result' properties are mutually exclusive.");
    }
    return { type: MessageType.Completion, ...headersOf(json), invocationId, error: json.error };
  }
  return { type: MessageType.Completion, ...headersOf(json), invocationId, ...('result' in json ? { result: json.result } : {}) };
}

function withInvocationId(json: JsonObject, kind: string, build: (invocationId: string) => ParsedMessage): ParsedMessage {
  const invocationId = json.invocationId;
  if (typeof invocationId !== 'string' || invocationId === '') {
    throw new InvalidDataError(`Expected 'invocationId' of a ${kind} message to be a non-empty String.`);
  }
  return build(invocationId);
}

/** The string headers of any message that carries them (HubProtocol.md, "Headers"), as `{ headers }` to spread in. */
function headersOf(json: JsonObject): { headers?: Record<string, string> } {
  const raw = json.headers;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return {};
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value === 'string') headers[key] = value;
  }
  return { headers };
}

function invalid(invocationId: string | undefined, target: string | undefined, reason: string): ParsedMessage {
  if (invocationId === undefined) throw new InvalidDataError(reason);
  return { type: 'invalid', invocationId, ...(target !== undefined ? { target } : {}), reason };
}
