import type { HubMessage, ParsedMessage } from './messages.js';

/** How a transport must carry a protocol's bytes (TransportProtocols.md, "Transfer Formats"). */
export type TransferFormat = 'Text' | 'Binary';

export interface ParseResult {
  messages: ParsedMessage[];
  /** Bytes of an unfinished message at the end of the input, to be prepended to the next read. */
  remaining: Buffer;
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
  /**
   * Parses every complete message in `input`.
   * @throws InvalidDataError when the input cannot be framed or a message exceeds `maxMessageSize`.
   */
  parseMessages(input: Buffer, maxMessageSize: number): ParseResult;
  /** Frames one message; text protocols return a string, binary ones bytes. */
  writeMessage(message: HubMessage): string | Uint8Array;
}

export function isVersionSupported(protocol: HubProtocol, version: number): boolean {
  return Number.isInteger(version) && version >= 1 && version <= protocol.version;
}
