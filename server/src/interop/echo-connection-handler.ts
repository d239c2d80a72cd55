import type { ConnectionHandler } from '../connections/connection-endpoint.js';
import type { HttpConnection } from '../connections/http-connection.js';

export interface EchoOptions {
  /**
   * Echo only on connections whose opening request carries this cookie; others are ended at
   * once. The ASP.NET test server does so for every transport but WebSockets (its suite checks
   * with it that a browser client built `withCredentials: false` sends no cookies; a WebSocket
   * upgrade carries the browser's cookies whatever that flag says).
   */
  requiredCookie?: string;
  /** Bytes waiting to be sent to a client that does not read; past it the connection is ended. */
  maximumBufferedBytes: number;
}

/**
 * A raw connection without a hub protocol (the ASP.NET test server's EchoConnectionHandler):
 * every payload received is sent back as it came, text as text and binary as binary, each in a
 * frame (or event) of its own.
 */
export function echoConnectionHandler(options: EchoOptions): ConnectionHandler {
  return {
    onConnected(connection: HttpConnection): void {
      const { requiredCookie } = options;
      if (requiredCookie !== undefined && connection.transportType !== 'WebSockets' && !connection.request.cookies.has(requiredCookie)) {
        connection.close();
        return;
      }
      connection.attachApplication({
        onData: (data, isBinary) => {
          // The client sends faster than it reads: holding more for it would grow without bound.
          if (connection.bufferedBytes > options.maximumBufferedBytes) {
            connection.close();
            return;
          }
          connection.send(data, !isBinary);
          // Not coalesced with the next echo: a raw connection's payload boundaries are the client's.
          connection.flush();
        },
        onTransportClosed: () => undefined,
      });
    },
  };
}
