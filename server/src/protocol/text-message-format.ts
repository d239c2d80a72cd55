import { MessageTooLargeError, type InvalidDataError } from './protocol-error.js';

/** Terminates every JSON message and the handshake (HubProtocol.md, "JSON Encoding"). */
export const RECORD_SEPARATOR = '\x1e';
export const RECORD_SEPARATOR_CODE = 0x1e;

export function tooLargeError(maxMessageSize: number): InvalidDataError {
  return new MessageTooLargeError(`The maximum message size of ${maxMessageSize}B was exceeded.`);
}

export interface SplitRecords {
  records: Buffer[];
  remaining: Buffer;
  /** Set when a record (or the unfinished tail) is larger than allowed; `records` hold those before it. */
  error?: InvalidDataError;
}

/**
 * Splits `input` at record separators. Text after the last separator is an unfinished
 * message: transports may split a message across reads, so it is returned to be completed.
 */
export function splitRecords(input: Buffer, maxMessageSize: number): SplitRecords {
  const records: Buffer[] = [];
  let start = 0;
  for (;;) {
    const end = input.indexOf(RECORD_SEPARATOR_CODE, start);
    if (end === -1) break;
    if (end - start > maxMessageSize) return { records, remaining: Buffer.alloc(0), error: tooLargeError(maxMessageSize) };
    records.push(input.subarray(start, end));
    start = end + 1;
  }
  const remaining = input.subarray(start);
  if (remaining.length > maxMessageSize) return { records, remaining: Buffer.alloc(0), error: tooLargeError(maxMessageSize) };
  return { records, remaining };
}
