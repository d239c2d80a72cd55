import { InvalidDataError } from './protocol-error.js';
import { tooLargeError } from './text-message-format.js';

/** A length prefix has at most 5 bytes of 7 bits: enough for 2 GB (HubProtocol.md, "Binary encoding"). */
const MAX_PREFIX_BYTES = 5;

export interface SplitFrames {
  frames: Buffer[];
  remaining: Buffer;
  /** Set when a prefix is malformed or a message is larger than allowed; `frames` hold those before it. */
  error?: InvalidDataError;
}

/**
 * Splits `input` into messages, each preceded by its length as a VarInt (7 bits a byte, low
 * bits first). A message whose bytes have not all arrived is returned as `remaining`.
 */
export function splitFrames(input: Buffer, maxMessageSize: number): SplitFrames {
  const frames: Buffer[] = [];
  let offset = 0;
  while (offset < input.length) {
    let size = 0;
    let prefixBytes = 0;
    let byte: number;
    do {
      if (offset + prefixBytes >= input.length) return { frames, remaining: input.subarray(offset) };
      byte = input[offset + prefixBytes] as number;
      size += (byte & 0x7f) * 2 ** (7 * prefixBytes);
      prefixBytes++;
    } while ((byte & 0x80) !== 0 && prefixBytes < MAX_PREFIX_BYTES);
    if ((byte & 0x80) !== 0) return { frames, remaining: Buffer.alloc(0), error: new InvalidDataError('Messages bigger than 2GB are not supported.') };
    if (size > maxMessageSize) return { frames, remaining: Buffer.alloc(0), error: tooLargeError(maxMessageSize) };
    const start = offset + prefixBytes;
    if (start + size > input.length) return { frames, remaining: input.subarray(offset) };
    frames.push(input.subarray(start, start + size));
    offset = start + size;
  }
  return { frames, remaining: Buffer.alloc(0) };
}

/** Prefixes `payload` with its length. */
export function writeFrame(payload: Uint8Array): Uint8Array {
  const prefix: number[] = [];
  let size = payload.length;
  do {
    let part = size & 0x7f;
    size = Math.floor(size / 128);
    if (size > 0) part |= 0x80;
    prefix.push(part);
  } while (size > 0);
  const framed = new Uint8Array(prefix.length + payload.length);
  framed.set(prefix, 0);
  framed.set(payload, prefix.length);
  return framed;
}
