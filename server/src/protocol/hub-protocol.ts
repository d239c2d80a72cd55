import type { HubMessage, ParsedMessage } from './messages.js';
import type { InvalidDataError } from './protocol-error.js';

/** How a transport must carry a protocol's bytes (TransportProtocols.md, "Transfer Formats"). */
export type TransferFormat = 'Text' | 'Binary';

export interface ParseResult {
  /** Every message read before `error`, if any, in order: they are dispatched before the connection closes. */
  messages: ParsedMessage[];
  /** Bytes of an unfinished message at the end of the input, to be prepended to the next read. */
  remaining: Buffer;
  /** Input that cannot be read: the connection is closed with it after `messages` were dispatched. */
  error?: InvalidDataError;
}

/**
 * Turns transport payloads into hub messages and back (the `IHubProtocol` seam).
 * Implementations are stateless and shared by every connection that chose them.
 */
export interface HubProtocol {
  readonly name: string;
  /** Highest protocol version understood; handshakes asking for more are refused. */
  readonly version: number;
  readonly transferFormat: TransferFormat;
  /** Parses every complete message in `input`, stopping at the first that cannot be read. */
  parseMessages(input: Buffer, maxMessageSize: number): ParseResult;
  /** Frames one message; text protocols return a string, binary ones bytes. */
  writeMessage(message: HubMessage): string | Uint8Array;
}

export function isVersionSupported(protocol: HubProtocol, version: number): boolean {
  return Number.isInteger(version) && version >= 0 && version <= protocol.version;
}
