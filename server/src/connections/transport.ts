/** Transport names as they appear in negotiate answers and on the client (TransportProtocols.md). */
export type TransportType = 'WebSockets' | 'ServerSentEvents' | 'LongPolling';

/** Every transport this build serves, in the order negotiate offers them (clients try them in order). */
export const ALL_TRANSPORTS: readonly TransportType[] = ['WebSockets', 'ServerSentEvents', 'LongPolling'];

/**
 * An endpoint's transports, checked and put in negotiate's order.
 * @throws Error for an empty list or a name that is not a transport (a mistake in the server's own setup)
 */
export function allowedTransports(requested: readonly string[]): readonly TransportType[] {
  const unknown = requested.filter((name) => !(ALL_TRANSPORTS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`Unknown transport(s) ${unknown.join(', ')}: use ${ALL_TRANSPORTS.join(', ')}.`);
  if (requested.length === 0) throw new Error('An endpoint needs at least one transport.');
  return ALL_TRANSPORTS.filter((transport) => requested.includes(transport));
}

/** ASP.NET's answer (with 404) to a request for a transport the endpoint does not offer. */
export function transportNotSupported(transport: TransportType): string {
  return `${transport} transport not supported by this end point type`;
}

/** The server side of one transport attached to a connection. */
export interface Transport {
  readonly type: TransportType;
  /** Whether binary payloads can be carried (false for Server-Sent Events). */
  readonly supportsBinary: boolean;
  /** Whether the client's requests themselves show it is alive (long polling), so it needs no pings either way. */
  readonly inherentKeepAlive: boolean;
  /**
   * Queues one message for the client; never throws, even when the peer is gone. `text`: the
   * bytes are UTF-8 text of a text protocol (a string always is).
   */
  send(payload: string | Uint8Array, text?: boolean): void;
  /** Bytes accepted by `send` but not yet handed to the kernel (bytes, not characters). */
  readonly bufferedBytes: number;
  /** Writes what `send` queued now instead of at the end of the turn. */
  flush?(): void;
  /**
   * Ends the frame (the event) being queued: what `send` queues next goes in another one, and
   * both leave at the end of the turn, in one socket write where the transport can.
   */
  endFrame?(): void;
  /** Sends what is queued, then ends the transport. */
  close(): void;
  /**
   * Stops reading from the client (backpressure) until `resumeReading`. Transports that receive
   * through separate requests (HTTP POST) have none: the connection holds those requests instead.
   */
  pauseReading?(): void;
  resumeReading?(): void;
}

/** What the application behind a connection (the hub) is told by the transport. */
export interface ConnectionApplication {
  onData(data: Buffer, isBinary: boolean): void;
  /** The connection ended for good. */
  onTransportClosed(): void;
  /** Stateful reconnect: the transport dropped, and the client may come back within the window. */
  onTransportLost?(): void;
  /** Stateful reconnect: the client came back on a new transport. */
  onTransportRestored?(): void;
}
