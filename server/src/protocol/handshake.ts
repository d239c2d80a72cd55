import { InvalidDataError } from './protocol-error.js';
import { RECORD_SEPARATOR, RECORD_SEPARATOR_CODE, tooLargeError } from './text-message-format.js';

export interface HandshakeRequest {
  protocol: string;
  version: number;
}

export type HandshakeReadResult =
  | { complete: false }
  | { complete: true; request: HandshakeRequest; remaining: Buffer };

/**
 * Reads the handshake request that opens every connection: JSON text ending in the record
 * separator, whatever the protocol that follows (HubProtocol.md, "Overview").
 * @throws InvalidDataError for a malformed request.
 */
export function readHandshakeRequest(input: Buffer, maxMessageSize: number): HandshakeReadResult {
  const end = input.indexOf(RECORD_SEPARATOR_CODE);
  if (end === -1) {
    if (input.length > maxMessageSize) throw tooLargeError(maxMessageSize);
    return { complete: false };
  }
  if (end > maxMessageSize) throw tooLargeError(maxMessageSize);
  let value: unknown;
  try {
    value = JSON.parse(input.subarray(0, end).toString('utf8'));
  } catch {
    throw new InvalidDataError('Error reading JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidDataError('Expected a JSON object.');
  }
  const { protocol, version } = value as Record<string, unknown>;
  if (protocol === undefined) throw new InvalidDataError("Missing required property 'protocol'.");
  if (typeof protocol !== 'string') throw new InvalidDataError("Expected 'protocol' to be of type String.");
  if (version === undefined) throw new InvalidDataError("Missing required property 'version'.");
  if (typeof version !== 'number' || !Number.isInteger(version)) {
    throw new InvalidDataError("Expected 'version' to be of type Integer.");
  }
  return { complete: true, request: { protocol, version }, remaining: input.subarray(end + 1) };
}

export function writeHandshakeResponse(error?: string): string {
  return JSON.stringify(error === undefined ? {} : { error }) + RECORD_SEPARATOR;
}
